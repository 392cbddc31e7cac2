import math

import pytest
from pydantic import ValidationError

from app.core.modulation import ModRoute, Modulator, source_names, source_value
from app.core.params import ParamRegistry, ParamSpec, ParamStore
from app.core.types import AnalysisFrame


def frame(t=0.0, **kw):
    base = dict(
        t_s=t,
        beats=0.0,
        bpm=120.0,
        beat_phase=0.0,
        bar_phase=0.0,
        onset=0.0,
        is_beat=False,
        rms=0.0,
        bands=(0.0, 0.0, 0.0),
        chroma=(0.0,) * 12,
    )
    base.update(kw)
    return AnalysisFrame(**base)


@pytest.fixture
def reg():
    return ParamRegistry([ParamSpec("a", "A", 0.0, 10.0, 2.0), ParamSpec("b", "B", -1.0, 1.0, 0.0)])


def test_store_clamps_versions_and_tags_sources(reg):
    store = ParamStore(reg)
    v0 = store.snapshot().version
    assert store.set("a", 50.0, source="midi") == 10.0
    snap = store.snapshot()
    assert snap.values["a"] == 10.0 and snap.version == v0 + 1
    assert store.source_of("a") == "midi"


def test_registry_names_bad_entries(reg):
    with pytest.raises(ValueError, match=r"params\.zzz: unknown parameter"):
        reg.validate_values({"zzz": 1.0}, "params")
    with pytest.raises(ValueError, match=r"params\.a: 11.0 is outside"):
        reg.validate_values({"a": 11.0}, "params")
    with pytest.raises(ValueError, match=r"params\.b: must be a finite number"):
        reg.validate_values({"b": math.nan}, "params")


def test_every_listed_source_validates_and_evaluates():
    for name in source_names():
        route = ModRoute(source=name, target="a")
        assert 0.0 <= source_value(route, frame(beats=1.3, beat_phase=0.3)) <= 1.0


def test_unknown_source_is_refused():
    with pytest.raises(ValidationError, match="unknown source"):
        ModRoute(source="audio.loudness", target="a")


def test_beat_pulse_peaks_on_the_beat_and_decays():
    route = ModRoute(source="audio.beat", target="a", decay_beats=0.25)
    assert source_value(route, frame(beat_phase=0.0)) == pytest.approx(1.0)
    assert source_value(route, frame(beat_phase=0.25)) == pytest.approx(math.exp(-1.0))
    bar = ModRoute(source="audio.bar", target="a", decay_beats=1.0)
    assert source_value(bar, frame(bar_phase=0.25)) == pytest.approx(math.exp(-1.0))


def test_lfo_period_is_in_beats():
    route = ModRoute(source="lfo.sine", target="a", period_beats=4.0)
    assert source_value(route, frame(beats=0.0)) == pytest.approx(0.0)
    assert source_value(route, frame(beats=2.0)) == pytest.approx(1.0)
    assert source_value(route, frame(beats=4.0)) == pytest.approx(0.0, abs=1e-12)
    saw = ModRoute(source="lfo.saw", target="a", period_beats=2.0, phase=0.5)
    assert source_value(saw, frame(beats=0.5)) == pytest.approx(0.75)


def test_bands_and_chroma_by_name_and_index():
    f = frame(bands=(0.1, 0.2, 0.3), chroma=tuple(i / 11 for i in range(12)))
    assert source_value(ModRoute(source="audio.band.mid", target="a"), f) == 0.2
    assert source_value(ModRoute(source="audio.chroma.A", target="a"), f) == pytest.approx(9 / 11)
    assert source_value(ModRoute(source="audio.chroma.9", target="a"), f) == pytest.approx(9 / 11)


def test_amount_scales_by_range_and_result_is_clamped(reg):
    mod = Modulator([ModRoute(source="audio.onset", target="a", amount=0.5)], reg)
    state = mod.new_state()
    assert mod.evaluate({"a": 2.0, "b": 0.0}, frame(onset=1.0), state)["a"] == pytest.approx(7.0)
    big = Modulator([ModRoute(source="audio.onset", target="a", amount=1.0)], reg)
    assert big.evaluate({"a": 5.0, "b": 0.0}, frame(onset=1.0), big.new_state())["a"] == 10.0


def test_curve_shapes_the_source(reg):
    mod = Modulator([ModRoute(source="audio.rms", target="a", amount=1.0, curve="square")], reg)
    out = mod.evaluate({"a": 0.0, "b": 0.0}, frame(rms=0.5), mod.new_state())
    assert out["a"] == pytest.approx(2.5)


def test_attack_and_release_smooth_with_their_own_time_constants(reg):
    mod = Modulator(
        [
            ModRoute(
                source="audio.onset", target="a", amount=1.0, attack_ms=100.0, release_ms=1000.0
            )
        ],
        reg,
    )
    state = mod.new_state()
    mod.evaluate({"a": 0.0, "b": 0.0}, frame(0.0, onset=0.0), state)
    rise = mod.evaluate({"a": 0.0, "b": 0.0}, frame(0.1, onset=1.0), state)["a"]
    assert rise == pytest.approx(10.0 * (1 - math.exp(-1.0)))
    fall = mod.evaluate({"a": 0.0, "b": 0.0}, frame(0.2, onset=0.0), state)["a"]
    assert fall == pytest.approx(rise * math.exp(-0.1))


def test_modulation_never_writes_the_base_values(reg):
    base = {"a": 1.0, "b": 0.0}
    mod = Modulator([ModRoute(source="audio.onset", target="a", amount=1.0)], reg)
    mod.evaluate(base, frame(onset=1.0), mod.new_state())
    assert base == {"a": 1.0, "b": 0.0}


def test_route_to_unknown_parameter_is_refused(reg):
    with pytest.raises(ValueError, match=r"routes\[0\]\.target"):
        Modulator([ModRoute(source="audio.onset", target="nope")], reg)
