"""Open a shoot, cull it with the keyboard, undo/redo, and find every decision again after a restart."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ranker.decisions import Decision
from ranker.store.catalog import Catalog
from tests.gui.conftest import press, screenshot, settle

# The offscreen platform warns about every QMainWindow; nothing in our code can avoid it.

Key = Qt.Key


def _decision(window, key: str) -> Decision:
    photo_id = window.session.shoot.by_key[key].photo_id
    with Catalog() as catalog:  # a fresh connection: what is on disk, not what the window remembers
        return catalog.decision(photo_id)


def test_cull_with_keys_then_restart(make_window, qtbot, shoot):
    window = make_window(shoot)
    settle(qtbot, window)
    session = window.session
    assert [b.kind for b in session.shoot.bursts] == ["burst", "burst", "burst"]
    assert session.compare.pair is not None and session.current in session.compare.pair
    screenshot(window, "01-compare")

    first = session.current
    press(qtbot, window, Key.Key_P)
    assert _decision(window, first).flag == "pick"

    press(qtbot, window, Key.Key_Right)
    second = session.current
    assert second != first
    press(qtbot, window, Key.Key_X)
    press(qtbot, window, Key.Key_3)
    press(qtbot, window, Key.Key_6)
    assert _decision(window, second) == Decision("reject", 3, "red")

    press(qtbot, window, Key.Key_Down)  # next burst: a new pair of its photos
    left, right = session.compare.pair
    assert session.shoot.burst_of(left) is session.shoot.bursts[1]
    press(qtbot, window, Key.Key_Q)  # left is better
    with Catalog() as catalog:
        choices = catalog.choices()
    ids = {k: session.shoot.by_key[k].photo_id for k in (left, right)}
    assert [(w, loser) for _, w, loser, _, _ in choices] == [(ids[left], ids[right])]
    assert set(session.compare.pair) != {left, right}  # the next pair came up

    press(qtbot, window, Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the choice
    with Catalog() as catalog:
        assert catalog.choices() == []
    assert set(session.compare.pair) == {left, right}
    press(qtbot, window, Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    with Catalog() as catalog:
        assert len(catalog.choices()) == 1

    for _ in range(2):  # undo the choice again, then the red label
        press(qtbot, window, Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _decision(window, second) == Decision("reject", 3, None)
    press(qtbot, window, Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert _decision(window, second) == Decision("reject", 3, "red")

    press(qtbot, window, Key.Key_Space)
    assert window.view_mode == "loupe"
    qtbot.waitUntil(window.cache.idle)
    screenshot(window, "02-loupe")
    press(qtbot, window, Key.Key_G)
    qtbot.wait(50)  # the grid lays out and paints, asking for the thumbnails it has not shown yet
    qtbot.waitUntil(window.cache.idle)
    screenshot(window, "03-grid")
    press(qtbot, window, Key.Key_F1)
    assert window.help.isVisible()
    screenshot(window, "04-help")
    press(qtbot, window, Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.help.isVisible())
    window.close()

    again = make_window(shoot)
    settle(qtbot, again)
    assert again.session.decision(first).flag == "pick"
    assert again.session.decision(second) == Decision("reject", 3, "red")
    row = again.photo_model.row_of(second)
    from phototriage_gui.models.photo_model import DecisionRole

    assert again.photo_model.index(row).data(DecisionRole) == Decision("reject", 3, "red")
