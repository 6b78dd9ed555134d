"""Every action and its shortcuts in one table: the menus, the key handling and the help overlay read it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from ranker.decisions import Flag, Label


@dataclass(frozen=True)
class ActionSpec:
    name: str  # the window handles it in on_<name>(); parameterised actions share a handler via `arg`
    text: str
    keys: tuple[str, ...]
    menu: str
    handler: str = ""  # defaults to on_<name>
    arg: object = None
    checkable: bool = False


def _a(
    name: str,
    text: str,
    keys: Sequence[str] = (),
    menu: str = "",
    handler: str = "",
    arg: object = None,
    checkable: bool = False,
) -> ActionSpec:
    return ActionSpec(name, text, tuple(keys), menu, handler or f"on_{name}", arg, checkable)


_LABEL_KEYS = (("6", Label.RED), ("7", Label.YELLOW), ("8", Label.GREEN), ("9", Label.BLUE))

ACTIONS: tuple[ActionSpec, ...] = (
    _a("open", "&Open Folder…", ["Ctrl+O"], "File"),
    _a("rerank", "&Re-rank Shoot", ["Ctrl+R"], "File"),
    _a("export", "&Export Selects…", ["Ctrl+Shift+E"], "File"),
    _a("preferences", "&Preferences…", ["Ctrl+,"], "File"),
    _a("quit", "&Quit", ["Ctrl+Q"], "File"),
    _a("undo", "&Undo", ["Ctrl+Z"], "Edit"),
    _a("redo", "&Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], "Edit"),
    _a("auto_cull", "&Auto Cull (pick the best of each burst)", ["Ctrl+Shift+K"], "Edit"),
    _a("pick", "Flag as &Pick", ["P"], "Photo", "on_flag", Flag.PICK),
    _a("reject", "Flag as Re&ject", ["X"], "Photo", "on_flag", Flag.REJECT),
    _a("unflag", "&Unflag", ["U"], "Photo", "on_flag", None),
    _a("pick_next", "Pick and Go to Next", ["Shift+P"], "Photo", "on_flag_next", Flag.PICK),
    _a("reject_next", "Reject and Go to Next", ["Shift+X"], "Photo", "on_flag_next", Flag.REJECT),
    _a("unflag_next", "Unflag and Go to Next", ["Shift+U"], "Photo", "on_flag_next", None),
    *(_a(f"rate_{n}", f"Rating: {'★' * n if n else 'none'}", [str(n)], "Photo", "on_rate", n) for n in range(6)),
    *(_a(f"label_{c}", f"Label: {c.title()} (toggle)", [k], "Photo", "on_label", c) for k, c in _LABEL_KEYS),
    _a("auto_advance", "Auto-&Advance After Deciding", ["Ctrl+Shift+A"], "Photo", checkable=True),
    _a("choose_left", "Left Is Better", ["Q", "Ctrl+Left"], "Compare", "on_choose", 0),
    _a("choose_right", "Right Is Better", ["W", "Ctrl+Right"], "Compare", "on_choose", 1),
    _a("swap_active", "Switch Active Side", ["Tab"], "Compare"),
    _a("champion", "&Champion Mode (keep the best, step the challengers)", ["K"], "Compare", checkable=True),
    _a("prev_photo", "Previous Photo", ["Left"], "Go", "on_step", -1),
    _a("next_photo", "Next Photo", ["Right"], "Go", "on_step", 1),
    _a("prev_burst", "Previous Burst", ["Up"], "Go", "on_burst_step", -1),
    _a("next_burst", "Next Burst", ["Down"], "Go", "on_burst_step", 1),
    _a("toggle_view", "Toggle Compare / Loupe", ["Space"], "View"),
    _a("compare_view", "&Compare", ["C"], "View", "on_show_view", "compare"),
    _a("loupe_view", "&Loupe", ["E"], "View", "on_show_view", "loupe"),
    _a("grid_view", "&Grid", ["G"], "View", "on_show_view", "grid"),
    _a("survey_view", "&Survey (the whole burst)", ["N"], "View", "on_show_view", "survey"),
    _a("open_loupe", "Open in Loupe", ["Return", "Enter"], "View", "on_open_loupe"),
    _a("bigger", "Larger Thumbnails", ["=", "+"], "View", "on_thumb_size", 1),
    _a("smaller", "Smaller Thumbnails", ["-"], "View", "on_thumb_size", -1),
    _a("stack", "Collapse / Expand This Burst's Stack", ["S"], "View", "on_stack"),
    _a("stack_all", "Collapse / Expand All Stacks", ["Shift+S"], "View", "on_stack_all"),
    _a("filter_all", "Show All", ["Alt+A"], "Filter", "on_filter_flag", "all"),
    _a("filter_picks", "Show Picks", ["Alt+P"], "Filter", "on_filter_flag", "picks"),
    _a("filter_rejects", "Show Rejects", ["Alt+X"], "Filter", "on_filter_flag", "rejects"),
    _a("filter_unflagged", "Show Unflagged", ["Alt+U"], "Filter", "on_filter_flag", "unflagged"),
    *(
        _a(
            f"filter_rating_{n}",
            f"Rating ≥ {'★' * n}" if n else "Any Rating",
            [f"Alt+{n}"],
            "Filter",
            "on_filter_rating",
            n,
        )
        for n in range(6)
    ),
    _a("zoom", "Zoom 100% / Fit", ["Z"], "View"),
    _a("face_boxes", "Show &Faces", ["F"], "View", checkable=True),
    _a("show_info", "&Info Panel", ["I"], "View", checkable=True),
    _a("show_models", "&Models Panel", ["Ctrl+M"], "View", checkable=True),
    _a("show_problems", "&Problems Panel", [], "View", checkable=True),
    _a("download_models", "&Download Missing Models…", [], "Model"),
    _a("learn", "&Learn From My Choices", ["Ctrl+L"], "Model"),
    _a("revert_model", "&Revert to Default Model", [], "Model"),
    _a("help", "&Keyboard Shortcuts", ["?", "F1"], "Help"),
)

MENUS = ("File", "Edit", "Photo", "Compare", "Go", "View", "Filter", "Model", "Help")


def spec(name: str) -> ActionSpec:
    for action in ACTIONS:
        if action.name == name:
            return action
    raise KeyError(name)


def build_actions(window: QWidget, handlers: object) -> dict[str, QAction]:
    """One QAction per spec, added to `window` so its shortcuts work whichever child has focus; each calls
    the `handler` method of `handlers`."""
    actions: dict[str, QAction] = {}
    for entry in ACTIONS:
        action = QAction(entry.text, window)
        action.setShortcuts([QKeySequence(k) for k in entry.keys])
        action.setCheckable(entry.checkable)
        handler: Callable[..., None] = getattr(handlers, entry.handler)
        if entry.checkable:
            action.toggled.connect(handler)
        elif entry.arg is not None or entry.handler != f"on_{entry.name}":
            action.triggered.connect(lambda _=False, h=handler, a=entry.arg: h(a))
        else:
            action.triggered.connect(lambda _=False, h=handler: h())
        window.addAction(action)
        actions[entry.name] = action
    return actions


def shortcut_text(entry: ActionSpec) -> str:
    """Keys as the platform writes them (Ctrl shows as ⌘ on macOS)."""
    return ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in entry.keys)
