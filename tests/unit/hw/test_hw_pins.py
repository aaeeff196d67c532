"""Pin factory choice: env override, mock off a Pi with one notice, lgpio's working directory."""

from __future__ import annotations

import pytest
from gpiozero.pins.mock import MockFactory

from hw import PinFactoryUnavailable, is_raspberry_pi, make_pin_factory
from hw.pins import MOCK_NOTICE, lgpio_workdir


def test_off_a_pi_mock_with_one_loud_notice(tmp_path):
    model = tmp_path / "model"
    model.write_text("Some x86 box\0")
    factory, notice = make_pin_factory({}, model_path=model)
    assert isinstance(factory, MockFactory)
    assert notice == MOCK_NOTICE and "\n" not in notice and "SIMULATED" in notice
    factory.close()


def test_env_mock_is_respected(tmp_path):
    model = tmp_path / "model"
    model.write_text("Raspberry Pi 4 Model B Rev 1.4\0")
    factory, notice = make_pin_factory({"GPIOZERO_PIN_FACTORY": "mock"}, model_path=model)
    assert isinstance(factory, MockFactory)
    assert "GPIOZERO_PIN_FACTORY=mock" in notice
    factory.close()


def test_unknown_env_factory_is_refused():
    with pytest.raises(PinFactoryUnavailable, match="'nonsense'"):
        make_pin_factory({"GPIOZERO_PIN_FACTORY": "nonsense"})


def test_pi_detection(tmp_path):
    model = tmp_path / "model"
    assert not is_raspberry_pi(model)  # absent
    model.write_text("Raspberry Pi 5 Model B Rev 1.0\0")
    assert is_raspberry_pi(model)


def test_on_a_pi_without_lgpio_it_refuses_and_prepares_the_workdir(tmp_path, monkeypatch):
    try:
        import lgpio  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("lgpio is installed here; the refusal path cannot be shown")
    model = tmp_path / "model"
    model.write_text("Raspberry Pi Zero 2 W Rev 1.0\0")
    runtime = tmp_path / "run"
    runtime.mkdir()
    env: dict[str, str] = {"RUNTIME_DIRECTORY": str(runtime)}
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PinFactoryUnavailable, match="Raspberry Pi"):
        make_pin_factory(env, model_path=model)
    assert env["LG_WD"] == str(runtime)


def test_lgpio_workdir_order(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    b.mkdir()
    assert lgpio_workdir({"RUNTIME_DIRECTORY": f"{a}:{b}"}, b) == b  # a does not exist
    a.mkdir()
    assert lgpio_workdir({"RUNTIME_DIRECTORY": f"{a}:{b}"}, b) == a
    assert lgpio_workdir({}, None).is_dir()
