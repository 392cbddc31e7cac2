from tests.qt.window import window  # noqa: F401 (the fixture, for every test here)
