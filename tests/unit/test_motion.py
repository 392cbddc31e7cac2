import json

import numpy as np
import pytest

from app.core.errors import UserError
from app.core.keyframes import load_keyframes, save_keyframes
from app.core.patch import ClassSpec, MotionSpec
from app.core.types import AnalysisFrame
from app.engine.motion import LatentMotion, class_vector, fold, quantize_up, slerp

DIM = 16
BEATS = np.linspace(0.0, 200.0, 4001)


def motion(seed=5, class_dim=0, **spec):
    return LatentMotion(MotionSpec(**spec), DIM, seed, class_dim=class_dim)


@pytest.mark.parametrize("mode", ["wrap", "clamp", "reflect"])
def test_walk_stays_within_its_boundary(mode):
    m = motion(
        path="walk",
        walk={"max_speed": 3.0, "max_accel": 2.0, "boundary": 1.5, "boundary_mode": mode},
    )
    zs = np.stack([m.z_at(b) for b in BEATS])
    assert np.all(np.abs(zs) <= 1.5 + 1e-9)
    assert zs.std() > 0.3  # it really moves and reaches far


def test_walk_speed_is_limited_per_beat():
    m = motion(
        path="walk",
        walk={"max_speed": 0.4, "max_accel": 0.2, "boundary": 100.0, "boundary_mode": "clamp"},
    )
    a, b = m.z_at(10.0), m.z_at(11.0)
    assert np.max(np.abs(b - a)) <= 0.4 + 1e-9


def test_wrap_jumps_to_the_other_side_and_reflect_bounces():
    assert fold(np.array([1.2]), 1.0, "wrap")[0] == pytest.approx(-0.8)
    assert fold(np.array([1.2]), 1.0, "reflect")[0] == pytest.approx(0.8)
    assert fold(np.array([-3.5]), 1.0, "reflect")[0] == pytest.approx(0.5)


def test_slerp_chain_passes_through_each_keyframe_on_segment_boundaries():
    m = motion(path="keyframes", keyframes=5, transition_beats=4, sequence="chain")
    for k in range(8):
        np.testing.assert_allclose(m.z_at(4.0 * k), m.keyframes[k % 5], atol=1e-12)


def test_cuts_pair_up_keyframes_a_b_then_c_d():
    m = motion(
        path="keyframes",
        keyframes=4,
        transition_beats=4,
        sequence="cuts",
        interpolation="lerp",
        easing="linear",
    )
    np.testing.assert_allclose(m.z_at(0.0), m.keyframes[0])
    np.testing.assert_allclose(m.z_at(3.999999), m.keyframes[1], atol=1e-5)
    np.testing.assert_allclose(m.z_at(4.0), m.keyframes[2])  # the cut: B -> C
    np.testing.assert_allclose(m.z_at(2.0), 0.5 * (m.keyframes[0] + m.keyframes[1]))


def test_slerp_keeps_the_norm_between_equal_norm_keyframes():
    a = np.array([1.0, 0.0, 0.0])
    b = np.array([0.0, 1.0, 0.0])
    for t in np.linspace(0, 1, 11):
        assert np.linalg.norm(slerp(a, b, t)) == pytest.approx(1.0)


@pytest.mark.parametrize("easing", ["in", "out", "in_out"])
def test_eased_transition_moves_monotonically_from_a_to_b(easing):
    m = motion(
        path="keyframes",
        keyframes=2,
        transition_beats=8,
        interpolation="lerp",
        easing=easing,
        power=6.0,
    )
    a, b = m.keyframes[0], m.keyframes[1]
    progress = [
        np.dot(m.z_at(x) - a, b - a) / np.dot(b - a, b - a) for x in np.linspace(0, 7.999, 200)
    ]
    assert np.all(np.diff(progress) >= -1e-12)
    assert progress[0] == pytest.approx(0.0, abs=1e-9)


def test_hold_then_hard_cut_jumps_on_the_bar():
    m = motion(path="keyframes", keyframes=3, transition_beats=0, hold_beats=4)
    np.testing.assert_allclose(m.z_at(3.99), m.keyframes[0])
    np.testing.assert_allclose(m.z_at(4.0), m.keyframes[1])


def test_triggered_jumps_land_quantised():
    assert quantize_up(5.2, "beat", 4) == 6.0
    assert quantize_up(5.2, "bar", 4) == 8.0
    assert quantize_up(8.0, "bar", 4) == 8.0
    m = motion(path="hold", keyframes=3)
    landed = [(quantize_up(5.2, "bar", 4), 1)]
    np.testing.assert_allclose(m.z_at(7.9, landed), m.keyframes[0])
    np.testing.assert_allclose(m.z_at(8.0, landed), m.keyframes[1])
    back = landed + [(quantize_up(9.0, "beat", 4), -1)]  # previous keyframe at beat 9
    np.testing.assert_allclose(m.z_at(9.0, back), m.keyframes[0])


def test_oscillation_stays_within_amplitude_and_starts_at_the_point():
    m = motion(path="hold", oscillate={"amplitude": 0.3, "period_beats": 4, "ease_in_beats": 8})
    offsets = np.stack([m.z_at(b) - m.keyframes[0] for b in BEATS])
    assert np.max(np.abs(offsets)) <= 0.3 + 1e-12
    assert np.max(np.abs(offsets)) > 0.29
    np.testing.assert_allclose(offsets[0], 0.0, atol=1e-12)
    # the phases spread out: after the ease-in, dimensions no longer move in lockstep
    late = np.stack([m.oscillation(b) for b in np.linspace(50, 54, 50)])
    assert np.corrcoef(late[:, 0], late[:, 1])[0, 1] < 0.99


@pytest.mark.parametrize("path", ["hold", "keyframes"])
def test_flicker_stays_within_max_step_around_point_or_path(path):
    spec = {
        "path": path,
        "keyframes": 4,
        "transition_beats": 4,
        "flicker": {"max_step": 0.2, "rate_per_beat": 8},
    }
    with_flicker = motion(**spec)
    without = motion(**{**spec, "flicker": {"max_step": 0.0}})
    deltas = np.stack([with_flicker.z_at(b) - without.z_at(b) for b in BEATS[:800]])
    assert np.max(np.abs(deltas)) <= 0.2 + 1e-12
    assert np.max(np.abs(deltas)) > 0.15
    assert len({tuple(np.round(d, 9)) for d in deltas}) > 50  # it really flickers


def test_one_seed_reproduces_every_random_choice():
    spec = {"path": "walk", "oscillate": {"amplitude": 0.2}, "flicker": {"max_step": 0.1}}
    a, b, c = motion(seed=9, **spec), motion(seed=9, **spec), motion(seed=10, **spec)
    for beat in (0.0, 3.3, 17.0, 123.4):
        np.testing.assert_array_equal(a.z_at(beat), b.z_at(beat))
    assert not np.allclose(a.z_at(17.0), c.z_at(17.0))


def test_walk_is_a_pure_function_of_beat_in_any_evaluation_order():
    spec = {"path": "walk"}
    forward, backward = motion(**spec), motion(**spec)
    points = [0.5, 40.25, 300.0, 1.0]
    first = [forward.z_at(p) for p in points]
    second = [backward.z_at(p) for p in reversed(points)][::-1]
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)


def test_keyframes_json_round_trip(tmp_path):
    vectors = np.random.default_rng(3).standard_normal((4, DIM))
    path = tmp_path / "kf.json"
    save_keyframes(path, vectors, note="test")
    np.testing.assert_array_equal(load_keyframes(path, DIM), vectors)
    assert json.loads(path.read_text())["latent_dim"] == DIM
    spec = MotionSpec(keyframes_file=str(path))
    np.testing.assert_array_equal(LatentMotion(spec, DIM, 0).keyframes, vectors)


def test_keyframes_with_the_wrong_dimension_are_refused(tmp_path):
    path = tmp_path / "kf.json"
    save_keyframes(path, np.zeros((2, 8)))
    with pytest.raises(UserError, match=r"8 dimensions.*needs 16"):
        load_keyframes(path, DIM)
    path.write_text('{"vectors": [[1, 2], [3]]}')
    with pytest.raises(UserError, match=r"vectors\[1\]"):
        load_keyframes(path)


def _frame(chroma):
    return AnalysisFrame(
        t_s=0,
        beats=0,
        bpm=120,
        beat_phase=0,
        bar_phase=0,
        onset=0,
        is_beat=False,
        rms=0,
        bands=(0, 0, 0),
        chroma=tuple(chroma),
    )


def test_class_vectors_mix_cycle_and_follow_chroma():
    fixed = class_vector(ClassSpec(classes=[3, 7], weights=[3.0, 1.0]), 10, 0.0, None)
    assert fixed[3] == pytest.approx(0.75) and fixed[7] == pytest.approx(0.25)
    cycle = ClassSpec(mode="cycle", classes=[1, 2], cycle_beats=4)
    assert class_vector(cycle, 10, 0.0, None)[1] == pytest.approx(1.0)
    assert class_vector(cycle, 10, 2.0, None)[2] == pytest.approx(0.5)
    chroma = ClassSpec(mode="chroma", classes=list(range(100, 112)))
    y = class_vector(chroma, 1000, 0.0, _frame([0.0] * 9 + [1.0, 0.0, 0.0]))
    assert np.argmax(y) == 109 and y.sum() == pytest.approx(1.0)


def test_random_class_mixes_crossfade_per_cycle_and_quantize_keeps_the_strongest():
    spec = ClassSpec(mode="random", cycle_beats=4)
    start, middle, next_start = (class_vector(spec, 1000, b, None, seed=5) for b in (0, 2, 4))
    assert start.sum() == pytest.approx(1.0) and np.count_nonzero(start) == 1000
    assert np.argmax(start) != np.argmax(next_start)  # a new mix each cycle
    assert np.allclose(middle, 0.5 * start + 0.5 * next_start)
    assert np.allclose(class_vector(spec, 1000, 0, None, seed=5), start)  # pure in the beat
    quantized = class_vector(spec.model_copy(update={"quantize": True}), 1000, 0, None, seed=5)
    assert quantized.sum() == 1.0 and quantized[np.argmax(start)] == 1.0


def test_unconditional_generators_get_no_class_vector():
    assert motion().y_at(0.0, None) is None
    assert motion(class_dim=5).y_at(0.0, None).shape == (5,)


def test_editor_vectors_are_the_keyframes_and_are_checked():
    from pydantic import ValidationError

    from app.core.keyframes import KeyframeSizeError, seed_vector
    from app.core.patch import MotionSpec

    vectors = [seed_vector(s, 8).tolist() for s in (1, 2, 3)]
    motion = LatentMotion(MotionSpec(vectors=vectors), latent_dim=8, seed=0)
    assert np.array_equal(motion.keyframes, np.array(vectors))
    assert np.array_equal(seed_vector(2, 8), seed_vector(2, 8))
    with pytest.raises(KeyframeSizeError, match="motion.vectors: keyframes of 8 dimensions"):
        LatentMotion(MotionSpec(vectors=vectors), latent_dim=16, seed=0)
    for bad, message in (
        ([], "at least one"),
        ([[0.0, 1.0], [2.0]], r"vectors\[1\]"),
        ([[float("nan")]], r"vectors\[0\]"),
    ):
        with pytest.raises(ValidationError, match=message):
            MotionSpec(vectors=bad)
