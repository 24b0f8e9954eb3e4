"""Configuration: validation with the key's name and what is allowed, and precedence layer by layer."""

from __future__ import annotations

import pytest

from mellum_lsp.config import (
    Configuration,
    Layer,
    Settings,
    flatten,
    load_files,
    parse_assignment,
    user_config_path,
    validate_value,
)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty XDG config home, so the developer's own config never leaks into a test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_any_layer(home):
    config = Configuration()
    assert load_files(config, []) == []
    assert config.settings == Settings()
    assert config.settings.model.name == "default" and config.settings.completion.debounce_ms == 0


def test_each_layer_overrides_the_ones_below(home, tmp_path):
    root = tmp_path / "repo"
    write(
        user_config_path(),
        "[completion]\ndebounce_ms = 10\nmax_new_tokens = 11\nbudget_tokens = 1000\n"
        "[chat]\nmax_new_tokens = 100\ntop_k = 5\n",
    )
    write(
        root / "mellum-lsp.toml",
        "[completion]\nmax_new_tokens = 22\nbudget_tokens = 2000\n[chat]\ntop_k = 6\n",
    )
    config = Configuration()
    assert load_files(config, [root]) == []
    assert (
        config.set_layer(
            Layer.INITIALIZATION_OPTIONS, {"completion": {"budget_tokens": 3000}, "chat.top_k": 7}
        )
        == []
    )
    assert (
        config.set_layer(Layer.CLIENT_SETTINGS, {"mellum": {"chat": {"top_k": 8}, "log_level": "debug"}})
        == []
    )
    assert config.set_layer(Layer.CLI, {"log_level": "error"}) == []
    s = config.settings
    assert s.completion.debounce_ms == 10  # user file only
    assert s.chat.max_new_tokens == 100  # user file only
    assert s.completion.max_new_tokens == 22  # workspace file beats user file
    assert s.completion.budget_tokens == 3000  # initializationOptions beat files
    assert s.chat.top_k == 8  # didChangeConfiguration beats initializationOptions
    assert s.log_level == "error"  # CLI beats everything
    assert config.origin("chat.top_k") == Layer.CLIENT_SETTINGS and config.origin("model.name") is None


def test_a_later_layer_set_earlier_still_wins(home):
    config = Configuration()
    config.set_layer(Layer.CLI, {"completion.debounce_ms": 1})
    config.set_layer(Layer.CLIENT_SETTINGS, {"completion.debounce_ms": 500})
    assert config.settings.completion.debounce_ms == 1


def test_the_first_workspace_folder_wins_over_later_ones(home, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    write(a / "mellum-lsp.toml", "[completion]\ndebounce_ms = 1\n")
    write(b / "mellum-lsp.toml", "[completion]\ndebounce_ms = 2\nmax_new_tokens = 3\n")
    config = Configuration()
    assert load_files(config, [a, b]) == []
    assert (config.settings.completion.debounce_ms, config.settings.completion.max_new_tokens) == (1, 3)


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("completion.multiline", "sometimes", "one of 'auto', 'always', 'never'"),
        ("completion.debounce_ms", 5000, "an integer from 0 to 2000"),
        ("completion.debounce_ms", "50", "an integer from 0 to 2000"),
        ("completion.enable_completion_items", "yes", "true or false"),
        ("model.device", "gpu", "a string matching"),
        ("index.exclude", "node_modules", "a list of strings"),
        ("chat.top_p", 1.5, "a number from 0.0 to 1.0"),
    ],
)
def test_invalid_values_name_the_key_and_what_is_allowed(key, value, allowed):
    config = Configuration()
    errors = config.set_layer(Layer.CLIENT_SETTINGS, {key: value}, "workspace settings")
    assert len(errors) == 1
    assert errors[0].key == key and allowed in str(errors[0])
    assert str(errors[0]).startswith(f"workspace settings: {key}: got {value!r}")


def test_an_invalid_value_keeps_the_previous_valid_one():
    config = Configuration()
    config.set_layer(Layer.CLIENT_SETTINGS, {"completion.debounce_ms": 40, "chat.top_k": 3})
    errors = config.set_layer(Layer.CLIENT_SETTINGS, {"completion.debounce_ms": -1, "chat.top_k": 4})
    assert [e.key for e in errors] == ["completion.debounce_ms"]
    assert config.settings.completion.debounce_ms == 40  # kept
    assert config.settings.chat.top_k == 4  # the valid key in the same update applies


def test_unknown_keys_are_rejected_with_a_suggestion():
    errors = Configuration().set_layer(Layer.USER_FILE, {"completion": {"debounce": 10}, "colour": "red"})
    messages = [str(e) for e in errors]
    assert "completion.debounce: unknown key; did you mean 'completion.debounce_ms'?" in messages[0]
    assert messages[1].startswith("user file: colour: unknown key")


def test_a_broken_toml_file_is_one_error_naming_the_file(home):
    path = write(user_config_path(), "[completion\n")
    errors = load_files(Configuration(), [])
    assert len(errors) == 1 and str(path) in str(errors[0])


def test_xdg_config_home_is_honoured(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert user_config_path() == tmp_path / "mellum-lsp" / "config.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_config_path() == tmp_path / "home" / ".config" / "mellum-lsp" / "config.toml"


def test_values_are_converted_to_the_key_type():
    assert validate_value("index.exclude", ["a", "b"]) == ("a", "b")
    assert validate_value("chat.temperature", 1) == 1.0 and isinstance(
        validate_value("chat.temperature", 1), float
    )


def test_flatten_accepts_nested_dotted_and_wrapped_forms():
    assert flatten({"mellum": {"completion": {"debounce_ms": 1}, "chat.top_k": 2}}) == {
        "completion.debounce_ms": 1,
        "chat.top_k": 2,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("completion.debounce_ms=50", ("completion.debounce_ms", 50)),
        ("completion.enable_completion_items=false", ("completion.enable_completion_items", False)),
        ("model.name=/models/mellum", ("model.name", "/models/mellum")),
        ('index.exclude=["a", "b"]', ("index.exclude", ["a", "b"])),
    ],
)
def test_command_line_assignments_read_values_as_toml(text, expected):
    assert parse_assignment(text) == expected


def test_an_assignment_without_equals_is_rejected():
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_assignment("completion.debounce_ms")
