import numpy as np
import pytest

from app.core.curves import ease, shape


@pytest.mark.parametrize("easing", ["linear", "in", "out", "in_out"])
@pytest.mark.parametrize("power", [0.0, 1.0, 4.0, 12.0])
def test_easing_is_monotone_with_fixed_ends(easing, power):
    t = np.linspace(0.0, 1.0, 1001)
    y = ease(t, easing, power)
    assert y[0] == pytest.approx(0.0, abs=1e-12)
    assert y[-1] == pytest.approx(1.0, abs=1e-12)
    assert np.all(np.diff(y) >= -1e-12)


def test_ease_in_starts_slow_and_out_ends_slow():
    assert ease(0.25, "in", 4.0) < 0.25 < ease(0.25, "out", 4.0)
    assert ease(0.5, "in_out", 4.0) == pytest.approx(0.5)
    assert ease(0.1, "in_out", 4.0) < 0.1


@pytest.mark.parametrize("curve", ["linear", "square", "cube", "sqrt", "smooth"])
def test_response_curves_keep_the_unit_interval(curve):
    x = np.linspace(0.0, 1.0, 101)
    y = shape(x, curve)
    assert y[0] == pytest.approx(0.0) and y[-1] == pytest.approx(1.0)
    assert np.all(np.diff(y) >= 0)
