"""Pure core: types, parameter registry, modulation, musical clock, presets. No Qt, no torch."""
