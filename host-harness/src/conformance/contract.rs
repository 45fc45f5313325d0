//! Contract: the component is a well-formed plugin of our world.
//!
//! Loading already proved it is a valid component that imports nothing outside the world
//! (`contract/valid-component`); these checks read what `describe()` says.

use std::collections::HashSet;

use super::{Check, Context, Outcome, fail};
use crate::http::{Origin, Scheme};

pub fn checks() -> Vec<Check> {
    vec![
        Check::new("contract/imports-within-world", |cx| Box::pin(imports(cx))),
        Check::new("contract/describe-well-formed", |cx| Box::pin(describe(cx))),
        Check::new("contract/hosts-are-https", |cx| Box::pin(https(cx))),
    ]
}

async fn imports(cx: &Context) -> Outcome {
    let exports = cx.plugin.exports();
    if !exports
        .iter()
        .any(|e| e.starts_with("gatehouse:integration/integration@"))
    {
        fail!("the component does not export gatehouse:integration/integration");
    }
    Outcome::Pass
}

fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
}

async fn describe(cx: &Context) -> Outcome {
    // Ask a fresh instance, not the copy taken at load: describe() must be stable.
    let info = match cx.plugin.session(&cx.grants()).await {
        Ok(mut session) => match session.describe().await {
            Ok(info) => info,
            Err(error) => fail!("describe() failed: {error}"),
        },
        Err(error) => fail!("cannot instantiate: {error}"),
    };
    if info != *cx.plugin.info() {
        fail!("describe() answered differently in two instances");
    }
    if !is_id(&info.id) {
        fail!("id {:?} is not a lower-case kebab-case id", info.id);
    }
    if info.name.trim().is_empty() || info.version.trim().is_empty() {
        fail!("name and version must not be empty");
    }
    if info.auth_methods.is_empty() {
        fail!("no auth method is declared");
    }
    let mut method_ids = HashSet::new();
    for method in &info.auth_methods {
        if !is_id(&method.id) || !method_ids.insert(&method.id) {
            fail!(
                "auth method id {:?} is not a unique kebab-case id",
                method.id
            );
        }
        let mut names = HashSet::new();
        for parameter in &method.parameters {
            if parameter.name.trim().is_empty() || !names.insert(&parameter.name) {
                fail!(
                    "auth method {}: parameter {:?} is empty or repeated",
                    method.id,
                    parameter.name
                );
            }
        }
    }
    if info.hosts.is_empty() {
        fail!("no outbound host is declared");
    }
    for host in &info.hosts {
        if let Err(error) = host.parse::<Origin>() {
            fail!("declared {error}");
        }
    }
    let mut scopes = HashSet::new();
    for scope in &info.scopes {
        if scope.trim().is_empty() || scope.contains(' ') || !scopes.insert(scope) {
            fail!("scope {scope:?} is empty, has spaces or is repeated");
        }
    }
    Outcome::Pass
}

async fn https(cx: &Context) -> Outcome {
    let plain: Vec<String> = cx
        .plugin
        .declared_origins()
        .iter()
        .filter(|o| o.scheme != Scheme::Https)
        .map(Origin::to_string)
        .collect();
    if !plain.is_empty() {
        fail!("declared hosts without https: {}", plain.join(", "));
    }
    Outcome::Pass
}
