//! `wasi:logging` for plugins: guest messages become host `tracing` events tagged with the
//! plugin's id, and can also be captured (the conformance suite scans them for secrets).

use std::sync::{Arc, Mutex};

use wasmtime::component::HasData;

use crate::bindings::wasi::logging::logging::{self, Level};

/// Longest message kept from a guest; the rest is cut so a plugin cannot flood the log.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// One message a plugin logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub level: String,
    pub context: String,
    pub message: String,
}

/// Per-instance logging state.
#[derive(Clone, Default)]
pub struct LogState {
    pub plugin_id: String,
    /// When set, every record is also kept here.
    pub capture: Option<Arc<Mutex<Vec<LogRecord>>>>,
}

/// Guest text goes to a terminal and to log files: drop control characters so a plugin cannot
/// forge log lines or send escape sequences, and bound its length.
pub fn sanitize(text: &str) -> String {
    let mut clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_BYTES)
        .collect();
    if clean.len() > MAX_MESSAGE_BYTES {
        let mut cut = MAX_MESSAGE_BYTES;
        while !clean.is_char_boundary(cut) {
            cut -= 1;
        }
        clean.truncate(cut);
    }
    clean
}

impl LogState {
    pub fn record(&self, level: &str, context: &str, message: &str) {
        let context = sanitize(context);
        let message = sanitize(message);
        let plugin = self.plugin_id.as_str();
        match level {
            "trace" => tracing::trace!(target: "plugin", plugin, context, "{message}"),
            "debug" => tracing::debug!(target: "plugin", plugin, context, "{message}"),
            "info" => tracing::info!(target: "plugin", plugin, context, "{message}"),
            "warn" => tracing::warn!(target: "plugin", plugin, context, "{message}"),
            _ => tracing::error!(target: "plugin", plugin, context, "{message}"),
        }
        if let Some(capture) = &self.capture {
            let record = LogRecord {
                level: level.to_owned(),
                context,
                message,
            };
            capture
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(record);
        }
    }
}

/// Marker type naming [`LogState`] for `add_to_linker`.
pub struct Logging;

impl HasData for Logging {
    type Data<'a> = &'a mut LogState;
}

impl logging::Host for &mut LogState {
    fn log(&mut self, level: Level, context: String, message: String) -> wasmtime::Result<()> {
        let level = match level {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error | Level::Critical => "error",
        };
        self.record(level, &context, &message);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_forge_log_lines() {
        assert_eq!(sanitize("ok\nERROR fake\x1b[31m"), "ok ERROR fake [31m");
    }

    #[test]
    fn long_messages_are_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_MESSAGE_BYTES);
        let clean = sanitize(&long);
        assert!(clean.len() <= MAX_MESSAGE_BYTES);
        assert!(clean.chars().all(|c| c == 'é'));
    }
}
