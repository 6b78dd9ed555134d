"""LibRaw's messages, printed from C to fd 2, come back as warnings naming the real file; nothing else is lost."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ranker.io import raw_decode
from ranker.io.images import load_photo
from ranker.io.libraw_stderr import LibRawWarning, libraw_messages
from ranker.io.load_errors import ImageLoadError
from tests.synthetic_files import write_dng


def _cut_dng(path: Path) -> Path:
    """A DNG cut at 60%: LibRaw prints "NAME: Unexpected end of file" to fd 2 when it meets the cut."""
    full = write_dng(path.with_name("full.dng"))
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[: int(len(data) * 0.6)])
    return path


@pytest.fixture
def libraw_meets_the_cut(monkeypatch):
    """The injected miss: our own damage check passes the file, so LibRaw itself reads past the end."""
    monkeypatch.setattr(raw_decode, "raw_damage", lambda *args: None)


@pytest.mark.timeout(60)
def test_libraws_message_is_a_warning_naming_the_file(tmp_path, capfd, libraw_meets_the_cut):
    path = _cut_dng(tmp_path / "IMG_0001.dng")
    with pytest.warns(LibRawWarning, match=r"IMG_0001\.dng: LibRaw: Unexpected end of file"):
        with pytest.raises(ImageLoadError, match="IMG_0001.dng"):
            load_photo(path)
    assert "Unexpected end of file" not in capfd.readouterr().err  # not printed past Python


@pytest.mark.timeout(60)
def test_a_name_libraw_only_knows_by_descriptor_is_named_for_real(tmp_path, capfd, libraw_meets_the_cut):
    """A non-UTF-8 name reaches LibRaw as /proc/self/fd/N; the warning names the file itself."""
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("no /proc/self/fd here")
    path = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.dng"))
    _cut_dng(path)
    with pytest.warns(LibRawWarning) as caught, pytest.raises(ImageLoadError):
        load_photo(path)
    texts = [str(w.message) for w in caught if issubclass(w.category, LibRawWarning)]
    assert texts == [f"{os.fsencode(str(path)).decode('utf-8', 'backslashreplace')}: LibRaw: Unexpected end of file"]
    assert "/proc/self/fd" not in capfd.readouterr().err


@pytest.mark.timeout(60)
def test_other_output_during_a_libraw_call_reaches_stderr_unchanged(tmp_path, capfd):
    got = []
    with libraw_messages("/x/a.CR2", tmp_path / "a.CR2", got.extend):
        os.write(2, b"another thread's line\n")
        os.write(2, b"/x/a.CR2: data corrupted at 1234\n")
        os.write(2, b"/x/other.CR2: Unexpected end of file\n")  # a name no call of ours gave LibRaw
    assert got == [(tmp_path / "a.CR2", "data corrupted at 1234")]
    assert capfd.readouterr().err == "another thread's line\n/x/other.CR2: Unexpected end of file\n"


@pytest.mark.timeout(60)
def test_overlapping_calls_in_threads_each_get_their_own_messages(tmp_path):
    got: list[tuple[Path, str]] = []
    inside = threading.Barrier(3)

    def decode(index: int) -> None:
        with libraw_messages(f"/proc/self/fd/{10 + index}", tmp_path / f"p{index}.NEF", got.extend):
            inside.wait(timeout=10)  # all three windows open at once
            os.write(2, f"/proc/self/fd/{10 + index}: data corrupted at {index}\n".encode())
            inside.wait(timeout=10)

    threads = [threading.Thread(target=decode, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(got) == [(tmp_path / f"p{i}.NEF", f"data corrupted at {i}") for i in range(3)]


@pytest.mark.timeout(60)
def test_a_flood_of_messages_is_bounded(tmp_path, capfd):
    got: list[tuple[Path, str]] = []
    with libraw_messages("/x/b.CR2", tmp_path / "b.CR2", got.extend):
        os.write(2, b"".join(b"/x/b.CR2: data corrupted at %d\n" % i for i in range(10_000)))
    assert len(got) == 6 and got[-1] == (tmp_path / "b.CR2", "9995 more messages like these")
    assert capfd.readouterr().err == ""
