//! The keyboard: which key does what (one table, which the help overlay lists too), read only
//! while no text field has focus so typing a target never zooms or pauses; and the Ctrl
//! shortcuts of the File and Copy menus (a table of their own: the app, not the model, carries
//! them out).

use super::model::Model;
use super::timeline::ZOOM_STEP;
use egui::Key;

/// Something a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    Fit,
    ZoomIn,
    ZoomOut,
    PanLeft,
    PanRight,
    ToggleFollow,
    /// Esc: closes the help if open, else clears the selection.
    Clear,
    ToggleHelp,
}

/// Each key and what it does, in the order the help lists them.
pub const KEYS: [(&[Key], KeyAction); 8] = [
    (&[Key::F, Key::Home], KeyAction::Fit),
    (&[Key::Plus, Key::Equals], KeyAction::ZoomIn),
    (&[Key::Minus], KeyAction::ZoomOut),
    (&[Key::ArrowLeft], KeyAction::PanLeft),
    (&[Key::ArrowRight], KeyAction::PanRight),
    (&[Key::Space], KeyAction::ToggleFollow),
    (&[Key::Escape], KeyAction::Clear),
    (&[Key::F1, Key::Questionmark], KeyAction::ToggleHelp),
];

/// A Ctrl shortcut of the File and Copy menus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    Open,
    Save,
    /// The picked table rows, else the selected call.
    Copy,
    /// Pick every row of the events table.
    PickAll,
}

/// Each shortcut's key (with Ctrl, ⌘ on a Mac), and whether it also works while a text field
/// has focus (Copy and Ctrl+A then belong to the field).
pub const SHORTCUTS: [(Key, Shortcut, bool); 4] = [
    (Key::O, Shortcut::Open, true),
    (Key::S, Shortcut::Save, true),
    (Key::C, Shortcut::Copy, false),
    (Key::A, Shortcut::PickAll, false),
];

/// The shortcuts asked for by this frame's input. Ctrl+C usually arrives as a Copy event (the
/// window turns it into one), sometimes as the key.
pub fn shortcuts(input: &egui::InputState, typing: bool) -> Vec<Shortcut> {
    let mut out = Vec::new();
    for (key, shortcut, while_typing) in SHORTCUTS {
        let allowed = while_typing || !typing;
        if allowed && input.modifiers.command && input.key_pressed(key) {
            out.push(shortcut);
        }
    }
    let copy = input.events.iter().any(|e| matches!(e, egui::Event::Copy));
    if copy && !typing && !out.contains(&Shortcut::Copy) {
        out.push(Shortcut::Copy);
    }
    out
}

/// The keys and mouse actions as the help overlay shows them.
pub const HELP: [(&str, &str); 19] = [
    ("F or Home", "fit the whole connection in the timeline"),
    ("+ / −", "zoom in / out around the middle"),
    ("← / →", "move the view earlier / later"),
    ("Space", "pause or resume following live"),
    ("Esc", "clear the selection (and close this help)"),
    ("F1 or ?", "show or hide this help"),
    ("Enter (in Target)", "connect"),
    (
        "Ctrl+O",
        "open a saved trace (or drop a .jsonl or .tlsscope file on the window)",
    ),
    (
        "Ctrl+S",
        "save the ticked connections, else the one shown, as JSONL (binary if named .tlsscope)",
    ),
    (
        "Ctrl+C",
        "copy the picked table rows, else the selected call with everything inside it",
    ),
    ("Ctrl+A", "pick every row of the events table"),
    (
        "click / Shift+click a row",
        "pick it / pick from the last click to it; right-click: Copy",
    ),
    ("wheel", "zoom around the pointer"),
    ("Shift+wheel", "move the view earlier / later"),
    ("drag", "move the view earlier / later"),
    ("double-click", "fit the whole connection"),
    ("click a call", "select it: Details and the table show it"),
    (
        "hover",
        "what is under the pointer, with times from the connection's start",
    ),
    (
        "Fit / − / + / Follow live",
        "the same, as buttons above the timeline",
    ),
];

/// How far ← and → move the view, as a fraction of its width.
const PAN_STEP: f64 = 0.2;

/// The actions asked for by this frame's key presses. `typing` (a text field has focus) keeps
/// every key but F1 and Esc to the field; Esc there leaves the field, as egui does.
pub fn pressed(input: &egui::InputState, typing: bool) -> Vec<KeyAction> {
    let mut out = Vec::new();
    for (keys, action) in KEYS {
        let allowed = !typing || matches!(action, KeyAction::ToggleHelp) && keys.contains(&Key::F1);
        if allowed && keys.iter().any(|&k| input.key_pressed(k)) {
            out.push(action);
        }
    }
    // '?' arrives as text on layouts where it is not a key of its own.
    let question = input
        .events
        .iter()
        .any(|e| matches!(e, egui::Event::Text(t) if t == "?"));
    if !typing && question && !out.contains(&KeyAction::ToggleHelp) {
        out.push(KeyAction::ToggleHelp);
    }
    out
}

/// Carries out one key's action on the model.
pub fn apply(model: &mut Model, action: KeyAction) {
    match action {
        KeyAction::Fit => model.fit(),
        KeyAction::ZoomIn => model.zoom(ZOOM_STEP, None),
        KeyAction::ZoomOut => model.zoom(1.0 / ZOOM_STEP, None),
        KeyAction::PanLeft => model.pan(-PAN_STEP),
        KeyAction::PanRight => model.pan(PAN_STEP),
        KeyAction::ToggleFollow => model.follow = !model.follow,
        KeyAction::Clear if model.help => model.help = false,
        KeyAction::Clear => model.selection = None,
        KeyAction::ToggleHelp => model.help = !model.help,
    }
}

/// Reads the keys of this frame and carries them out.
pub fn handle(ctx: &egui::Context, model: &mut Model) {
    let typing = ctx.egui_wants_keyboard_input();
    for action in ctx.input(|i| pressed(i, typing)) {
        apply(model, action);
    }
}
