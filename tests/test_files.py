"""govtag.files.atomic_dir: a folder is replaced whole or not at all."""

from __future__ import annotations

import stat

import pytest

from govtag.files import atomic_dir


def leftovers(parent) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_success_creates_the_folder(tmp_path):
    target = tmp_path / "deep" / "out"
    with atomic_dir(target) as tmp:
        assert tmp.is_dir() and not any(tmp.iterdir()) and tmp.parent == target.parent
        (tmp / "sub").mkdir()
        (tmp / "sub" / "a.txt").write_text("new")
    assert (target / "sub" / "a.txt").read_text() == "new"
    assert leftovers(target.parent) == []


def test_success_replaces_an_existing_folder_whole(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with atomic_dir(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert leftovers(tmp_path) == []


def test_written_files_are_readable_by_others(tmp_path):
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "f").write_text("x")
        (tmp / "f").chmod(0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    assert stat.S_IMODE((target / "f").stat().st_mode) == 0o644


def test_an_exception_leaves_the_old_folder_untouched_and_no_temp_folder(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old.txt").write_text("old")
    with pytest.raises(RuntimeError, match="crash"):
        with atomic_dir(target) as tmp:
            (tmp / "half.bin").write_bytes(b"\0" * 10)
            raise RuntimeError("crash while writing")
    assert sorted(p.name for p in target.iterdir()) == ["old.txt"]
    assert (target / "old.txt").read_text() == "old"
    assert not tmp.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_an_exception_without_an_old_folder_leaves_nothing(tmp_path):
    target = tmp_path / "new"
    with pytest.raises(KeyboardInterrupt):
        with atomic_dir(target) as tmp:
            (tmp / "x").write_text("x")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
