"""The committed executor artifact is exactly what the committed Vyper source compiles to."""

from __future__ import annotations

from appliance.execution.artifact import compile_source, load_artifact, source_text


def test_committed_artifact_equals_a_fresh_compile():
    committed = load_artifact()
    fresh = compile_source()
    assert committed.abi == fresh.abi, (
        "stale ABI: regenerate with appliance.execution.artifact.write_artifact()"
    )
    assert committed.bytecode == fresh.bytecode, "stale bytecode: regenerate with write_artifact()"


def test_source_pins_compiler_and_evm_version():
    src = source_text()
    assert "#pragma version 0.4.3" in src
    assert "#pragma evm-version paris" in src


def test_abi_has_the_owner_only_surface():
    names = {e.get("name") for e in load_artifact().abi}
    assert {"execute", "uniswapV2Call", "withdraw", "withdraw_eth", "owner", "Executed"} <= names


def test_every_execute_carries_a_deadline():
    """The deadline is mandatory: no 0-means-none escape in the source, and it is in the ABI."""
    src = source_text()
    assert 'assert block.number <= deadline, "executor: deadline passed"' in src
    assert "deadline == 0" not in src
    (execute,) = [e for e in load_artifact().abi if e.get("name") == "execute"]
    assert [i["name"] for i in execute["inputs"]][-1] == "deadline"
