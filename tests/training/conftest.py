"""Fixtures for the training tests: see ``tests/fixtures_tiny.py``."""

import importlib.util
import sys
from pathlib import Path


def load_shared():
    """``tests/fixtures_tiny.py`` as one module per session (the tests folder is not a package)."""
    name = "govtag_tests_fixtures_tiny"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "fixtures_tiny.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


tiny = load_shared()
tiny_base = tiny.tiny_base
synthetic_rows = tiny.synthetic_rows
make_synthetic = tiny.make_synthetic
_few_threads = tiny._few_threads
_keep_torch_threads = tiny._keep_torch_threads
