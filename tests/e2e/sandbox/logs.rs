//! The host's own `tracing` events, captured process-wide.
//!
//! Outbound requests are decided on tokio worker threads, so a thread-local subscriber would
//! miss the host's reasons for refusing them: this installs one global subscriber that keeps
//! the events of the host library and of plugins (target `plugin`) and ignores the rest.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// One captured event: its target, level and every field (the text under `message`).
#[derive(Debug, Clone)]
pub struct HostEvent {
    pub target: String,
    pub level: tracing::Level,
    pub fields: BTreeMap<String, String>,
}

impl HostEvent {
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

type Events = Arc<Mutex<Vec<HostEvent>>>;

fn events() -> &'static Events {
    static EVENTS: OnceLock<Events> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let events = Events::default();
        let subscriber = tracing_subscriber::registry().with(Capture(events.clone()));
        tracing::subscriber::set_global_default(subscriber).expect(
            "the sandbox tests install the only global tracing subscriber of the e2e binary",
        );
        events
    })
}

/// Starts capturing; call before the host does anything worth asserting on.
pub fn capture() {
    events();
}

/// Events captured so far, from every test in the process: filter them by something unique
/// to the test (a path, a secret).
pub fn host_events() -> Vec<HostEvent> {
    events().lock().unwrap_or_else(|p| p.into_inner()).clone()
}

struct Capture(Events);

fn wanted(metadata: &Metadata<'_>) -> bool {
    metadata.target() == "plugin" || metadata.target().starts_with("host_harness")
}

impl<S: Subscriber> Layer<S> for Capture {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if wanted(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        wanted(metadata)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let event = HostEvent {
            target: event.metadata().target().to_owned(),
            level: *event.metadata().level(),
            fields: fields.0,
        };
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}
