//! An evaluation read together with its request.
//!
//! Decisions and findings name accounts and staff members by their position in the request,
//! so that evaluating a hundred thousand accounts does not carry every address back out of the
//! plugin a second time. [`Evaluated`] checks those positions once and joins them back.
//!
//! ```
//! use host_harness::evaluation::Evaluated;
//! use host_harness::types::*;
//!
//! let request = EvaluationRequest {
//!     accounts: vec![Account {
//!         id: Some("u1".into()),
//!         email: "jo@example.com".into(),
//!         first_name: "Jo".into(),
//!         last_name: "Blogs".into(),
//!         display_name: "Jo Blogs".into(),
//!         status: AccountStatus::Active,
//!         role: "Member".into(),
//!         license: "licensed".into(),
//!         last_login: None,
//!         created: None,
//!     }],
//!     listing: ListingSummary { complete: true, incomplete_reason: None, listed: 1, expected: 1 },
//!     staff: Vec::new(),
//!     tickets: Vec::new(),
//!     policy: Policy {
//!         access: AccessRule::AllStaff,
//!         offboarding_grace: 0,
//!         mappings: Vec::new(),
//!         exceptions: Vec::new(),
//!         privileged_roles: None,
//!     },
//!     at: 0,
//!     trace: TraceScope::None,
//! };
//! // What a plugin answers for an account nobody in the directory owns.
//! let evaluation = Evaluation {
//!     conclusive: true,
//!     inconclusive_reason: None,
//!     decisions: vec![Decision {
//!         account: 0,
//!         allowed: false,
//!         matched: None,
//!         decided_by: Ruling::Identity,
//!         checks: vec!["not-in-directory".into()],
//!         trace: Vec::new(),
//!     }],
//!     findings: vec![Finding {
//!         check: "not-in-directory".into(),
//!         severity: Severity::High,
//!         state: FindingState::Failing,
//!         account: 0,
//!         staff: None,
//!         reason: "Account jo@example.com matches no staff member.".into(),
//!     }],
//! };
//!
//! let evaluated = Evaluated::new(&request, &evaluation).expect("positions are valid");
//! let (finding, account, owner) = evaluated.findings().next().unwrap();
//! assert_eq!((finding.check.as_str(), account.email.as_str()), ("not-in-directory", "jo@example.com"));
//! assert!(owner.is_none());
//! ```

use crate::types::{Account, Decision, Evaluation, EvaluationRequest, Finding, StaffMember};

/// An evaluation whose every position has been checked against its request.
#[derive(Debug, Clone, Copy)]
pub struct Evaluated<'r> {
    request: &'r EvaluationRequest,
    evaluation: &'r Evaluation,
}

impl<'r> Evaluated<'r> {
    /// Checks that the evaluation has exactly one decision per account of the request and
    /// that every account and staff position it gives is in the request. The error names the
    /// first position that is not.
    pub fn new(request: &'r EvaluationRequest, evaluation: &'r Evaluation) -> Result<Self, String> {
        let (accounts, staff) = (request.accounts.len(), request.staff.len());
        let in_range = |what: &str, index: u32, len: usize| {
            if (index as usize) < len {
                Ok(())
            } else {
                Err(format!(
                    "{what} refers to position {index}, but the request has {len}"
                ))
            }
        };

        if evaluation.decisions.len() != accounts {
            return Err(format!(
                "{} decisions for {accounts} accounts: every account needs exactly one",
                evaluation.decisions.len()
            ));
        }
        let mut decided = vec![false; accounts];
        for (n, decision) in evaluation.decisions.iter().enumerate() {
            in_range(&format!("decision {n}"), decision.account, accounts)?;
            let seen = &mut decided[decision.account as usize];
            if *seen {
                return Err(format!(
                    "account {} has more than one decision",
                    decision.account
                ));
            }
            *seen = true;
            if let Some(matched) = &decision.matched {
                in_range(&format!("decision {n}'s staff match"), matched.staff, staff)?;
            }
        }
        for (n, finding) in evaluation.findings.iter().enumerate() {
            in_range(&format!("finding {n}"), finding.account, accounts)?;
            if let Some(member) = finding.staff {
                in_range(&format!("finding {n}'s staff member"), member, staff)?;
            }
        }
        Ok(Evaluated {
            request,
            evaluation,
        })
    }

    pub fn request(&self) -> &'r EvaluationRequest {
        self.request
    }

    pub fn evaluation(&self) -> &'r Evaluation {
        self.evaluation
    }

    pub fn account(&self, position: u32) -> &'r Account {
        &self.request.accounts[position as usize]
    }

    pub fn staff(&self, position: u32) -> &'r StaffMember {
        &self.request.staff[position as usize]
    }

    /// Each decision with its account and the staff member it matched, in the plugin's order.
    pub fn decisions(
        &self,
    ) -> impl Iterator<Item = (&'r Decision, &'r Account, Option<&'r StaffMember>)> + '_ {
        self.evaluation.decisions.iter().map(|decision| {
            let owner = decision.matched.as_ref().map(|m| self.staff(m.staff));
            (decision, self.account(decision.account), owner)
        })
    }

    /// Each finding with its account and the staff member it concerns, in the plugin's order.
    pub fn findings(
        &self,
    ) -> impl Iterator<Item = (&'r Finding, &'r Account, Option<&'r StaffMember>)> + '_ {
        self.evaluation.findings.iter().map(|finding| {
            let owner = finding.staff.map(|member| self.staff(member));
            (finding, self.account(finding.account), owner)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{
        AccessRule, AccountStatus, FindingState, ListingSummary, MatchKind, Policy, Ruling,
        Severity, StaffMatch, StaffStatus, TraceScope,
    };

    fn request(accounts: usize, staff: usize) -> EvaluationRequest {
        let account = |n: usize| Account {
            id: Some(format!("u{n}")),
            email: format!("a{n}@example.com"),
            first_name: String::new(),
            last_name: String::new(),
            display_name: String::new(),
            status: AccountStatus::Active,
            role: "Member".into(),
            license: "basic".into(),
            last_login: None,
            created: None,
        };
        let member = |n: usize| StaffMember {
            email: format!("a{n}@example.com"),
            aliases: Vec::new(),
            name: String::new(),
            status: StaffStatus::Active,
            offboarded_at: None,
            roles: Vec::new(),
            employee_id: None,
        };
        EvaluationRequest {
            accounts: (0..accounts).map(account).collect(),
            listing: ListingSummary {
                complete: true,
                incomplete_reason: None,
                listed: 0,
                expected: 0,
            },
            staff: (0..staff).map(member).collect(),
            tickets: Vec::new(),
            policy: Policy {
                access: AccessRule::AllStaff,
                offboarding_grace: 0,
                mappings: Vec::new(),
                exceptions: Vec::new(),
                privileged_roles: None,
            },
            at: 0,
            trace: TraceScope::None,
        }
    }

    fn decision(account: u32, staff: Option<u32>) -> Decision {
        Decision {
            account,
            allowed: true,
            matched: staff.map(|staff| StaffMatch {
                staff,
                via: MatchKind::PrimaryEmail,
            }),
            decided_by: Ruling::Policy,
            checks: Vec::new(),
            trace: Vec::new(),
        }
    }

    fn finding(account: u32, staff: Option<u32>) -> Finding {
        Finding {
            check: "offboarded-with-access".into(),
            severity: Severity::Critical,
            state: FindingState::Failing,
            account,
            staff,
            reason: "r".into(),
        }
    }

    fn evaluation(decisions: Vec<Decision>, findings: Vec<Finding>) -> Evaluation {
        Evaluation {
            conclusive: true,
            inconclusive_reason: None,
            decisions,
            findings,
        }
    }

    #[test]
    fn positions_join_back_to_the_request() {
        let request = request(2, 2);
        let evaluation = evaluation(
            vec![decision(1, Some(0)), decision(0, None)],
            vec![finding(1, Some(0))],
        );
        let evaluated = Evaluated::new(&request, &evaluation).unwrap();

        let decisions: Vec<(&str, Option<&str>)> = evaluated
            .decisions()
            .map(|(_, account, owner)| (account.email.as_str(), owner.map(|m| m.email.as_str())))
            .collect();
        assert_eq!(
            decisions,
            [
                ("a1@example.com", Some("a0@example.com")),
                ("a0@example.com", None)
            ]
        );
        let (_, account, owner) = evaluated.findings().next().unwrap();
        assert_eq!(account.id.as_deref(), Some("u1"));
        assert_eq!(owner.map(|m| m.email.as_str()), Some("a0@example.com"));
    }

    /// A plugin is not trusted to answer about the request it was given: every way its
    /// positions can be wrong is refused with what was wrong, rather than indexing out of
    /// bounds in the host.
    #[test]
    fn positions_outside_the_request_are_refused_by_name() {
        let request = request(2, 1);
        let cases = [
            (
                evaluation(vec![decision(0, None)], vec![]),
                "1 decisions for 2 accounts",
            ),
            (
                evaluation(vec![decision(0, None), decision(0, None)], vec![]),
                "account 0 has more than one decision",
            ),
            (
                evaluation(vec![decision(0, None), decision(2, None)], vec![]),
                "decision 1 refers to position 2, but the request has 2",
            ),
            (
                evaluation(vec![decision(0, Some(1)), decision(1, None)], vec![]),
                "decision 0's staff match refers to position 1, but the request has 1",
            ),
            (
                evaluation(
                    vec![decision(0, None), decision(1, None)],
                    vec![finding(u32::MAX, None)],
                ),
                "finding 0 refers to position 4294967295",
            ),
            (
                evaluation(
                    vec![decision(0, None), decision(1, None)],
                    vec![finding(1, Some(7))],
                ),
                "finding 0's staff member refers to position 7, but the request has 1",
            ),
        ];
        for (evaluation, expected) in cases {
            let error = Evaluated::new(&request, &evaluation).unwrap_err();
            assert!(error.contains(expected), "{error:?} lacks {expected:?}");
        }
    }
}
