import json

import pytest

from app.core.errors import UserError
from app.core.patch import Patch
from app.core.presets import (
    SHIPPED_PRESETS_DIR,
    load_preset,
    preset_json,
    save_preset,
    shipped_preset_names,
)


def write(tmp_path, data, name="p.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def minimal(**extra):
    return {"schema_version": 1, "name": "t", **extra}


def test_round_trip_is_lossless_and_canonical(tmp_path, registry):
    patch, _ = load_preset("nebula-drift", registry)
    path = tmp_path / "copy.json"
    save_preset(patch, path)
    again, _ = load_preset(path, registry)
    assert again == patch
    assert path.read_text() == preset_json(patch)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_malformed_json_names_line_and_column(tmp_path, registry):
    path = write(tmp_path, '{"schema_version": 1,\n "name": "x",,\n}')
    with pytest.raises(UserError, match=r"p\.json'.*invalid JSON at line 2, column"):
        load_preset(path, registry)


def test_unknown_field_is_named_with_its_path(tmp_path, registry):
    path = write(tmp_path, minimal(motion={"walk": {"max_sped": 1}}))
    with pytest.raises(UserError, match=r"motion\.walk\.max_sped: unknown field"):
        load_preset(path, registry)


def test_wrong_type_is_named_with_its_path_and_value(tmp_path, registry):
    path = write(tmp_path, minimal(motion={"walk": {"max_speed": "fast"}}))
    with pytest.raises(UserError, match=r"motion\.walk\.max_speed: .*number.*'fast'"):
        load_preset(path, registry)


def test_route_errors_name_the_list_index(tmp_path, registry):
    path = write(
        tmp_path,
        minimal(
            routes=[
                {"source": "audio.onset", "target": "fx.flash"},
                {"source": "audio.onset", "target": "fx.flash", "amount": 3},
            ]
        ),
    )
    with pytest.raises(UserError, match=r"routes\[1\]\.amount"):
        load_preset(path, registry)


def test_unknown_parameter_id_is_refused(tmp_path, registry):
    path = write(tmp_path, minimal(params={"fx.flsh": 0.5}))
    with pytest.raises(UserError, match=r"params\.fx\.flsh: unknown parameter"):
        load_preset(path, registry)


def test_schema_version_is_required_and_checked(tmp_path, registry):
    with pytest.raises(UserError, match="schema_version: missing"):
        load_preset(write(tmp_path, {"name": "x"}), registry)
    with pytest.raises(UserError, match="newer than this latentvj"):
        load_preset(write(tmp_path, {"schema_version": 99, "name": "x"}), registry)


def test_missing_preset_lists_the_shipped_ones(registry):
    with pytest.raises(UserError, match="not found.*nebula-drift"):
        load_preset("no-such-preset", registry)


def test_at_least_six_distinct_shipped_presets(registry):
    names = shipped_preset_names()
    assert len(names) >= 6
    patches = [load_preset(n, registry)[0] for n in names]
    looks = {p.generator.look for p in patches}
    paths = {p.motion.path for p in patches}
    assert len(looks) >= 6 and paths == {"hold", "keyframes", "walk"}
    assert any(p.effects.kaleidoscope for p in patches)
    assert any(p.effects.mirror != "none" for p in patches)
    assert all(p.routes for p in patches)
    for name in names:  # shipped files are in canonical form
        assert (SHIPPED_PRESETS_DIR / f"{name}.json").read_text() == preset_json(
            load_preset(name, registry)[0]
        )


def test_a_model_generator_needs_a_path():
    with pytest.raises(ValueError, match="needs 'path'"):
        Patch.model_validate(minimal(generator={"kind": "dcgan"}))
