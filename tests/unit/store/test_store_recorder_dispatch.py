"""The recorder dispatches by ``isinstance`` like every other consumer: each ``_on_<Event>``
handler is reached from :meth:`Recorder.handle` for exactly its own class, and none is orphaned
(a handler added without its branch would silently skip its records)."""

from __future__ import annotations

import ast
import inspect
import textwrap

from appliance.store.recorder import Recorder


def _branches() -> list[tuple[str, str]]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(Recorder.handle)))
    pairs = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Call):
            call = node.test
            if isinstance(call.func, ast.Name) and call.func.id == "isinstance":
                cls = call.args[1]
                assert isinstance(cls, ast.Name), ast.dump(cls)
                body = node.body[0].value
                assert isinstance(body, ast.Call) and isinstance(body.func, ast.Attribute)
                pairs.append((cls.id, body.func.attr))
    return pairs


def test_every_handler_is_dispatched_for_its_own_class() -> None:
    pairs = _branches()
    handlers = {name for name, _ in inspect.getmembers(Recorder) if name.startswith("_on_")}
    assert {method for _, method in pairs} == handlers
    for cls, method in pairs:
        assert method == f"_on_{cls}"
    assert len({cls for cls, _ in pairs}) == len(pairs)


def test_unknown_records_are_skipped(tmp_path) -> None:
    from appliance.store.journal import Journal
    from appliance.store.statefile import StateWriter

    with Journal(tmp_path / "journal.sqlite") as journal, StateWriter(tmp_path / "s.bin") as sw:
        rec = Recorder(journal, sw)
        before = len(rec.batch)
        rec.handle(object(), now=1.0)
        assert len(rec.batch) == before
