//! Whether the weekly email can go out, before the first Monday finds out: the SES account
//! (sandbox or production, sending enabled, its daily quota), the sender's identity, and in the
//! sandbox each recipient's, for the sender and recipients the deployed reporter (its `live`
//! alias) is configured with. `verify` reports it after the canary.

use std::fmt;

use aws_sdk_sesv2::error::ProvideErrorMetadata;
use serde::Serialize;
use shared_types::stage::LIVE_ALIAS;
use shared_types::stage::setting::{REPORT_RECIPIENTS, REPORT_SENDER, SES_CONFIGURATION_SET};

use crate::Operations;
use crate::error::{OpsError, aws_failed};
use crate::release::Function;

/// Most recipients SES takes in one message (To, CC and BCC together).
pub(crate) const MAX_RECIPIENTS: usize = 50;

/// The SES account, as `GetAccount` describes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    /// Out of the sandbox: any recipient, the account's own quota.
    pub production: bool,
    pub sending_enabled: bool,
    /// Emails the account may send in 24 hours, and how many it sent in the last 24.
    pub max_24_hours: f64,
    pub sent_last_24_hours: f64,
}

/// Whether an identity (an address, or a domain it belongs to) may send or receive in the
/// sandbox: SES's `VerifiedForSendingStatus`, or `None` when SES has no such identity.
pub type Verified = Option<bool>;

/// The configuration set the reporter sends with (`SES_CONFIGURATION_SET`), and whether SES has
/// it in the stage's region (`None`: it could not be read, why is in the warnings).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigurationSet {
    pub name: String,
    pub exists: Option<bool>,
}

/// What `verify` found of SES.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmailReadiness {
    pub sender: String,
    pub sender_verified: Verified,
    /// `None` when the reporter sends without a configuration set.
    pub configuration_set: Option<ConfigurationSet>,
    /// `None` when the account could not be read (why is in `warnings`).
    pub account: Option<Account>,
    pub recipients: Vec<(String, Verified)>,
    /// What stops the email, each with what to do.
    pub problems: Vec<String>,
    /// What could not be checked.
    pub warnings: Vec<String>,
}

/// `production, sending enabled, 3 of 50000 emails sent in the last 24 hours`.
impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, sending {}, {:.0} of {:.0} emails sent in the last 24 hours",
            if self.production {
                "production"
            } else {
                "sandbox (verified recipients only)"
            },
            if self.sending_enabled {
                "enabled"
            } else {
                "DISABLED"
            },
            self.sent_last_24_hours,
            self.max_24_hours
        )
    }
}

/// SES's state, a line each, indented: the account, the sender, the recipients, what stops the
/// email.
impl fmt::Display for EmailReadiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verified = |v: Verified| match v {
            Some(true) => "verified",
            Some(false) => "NOT verified",
            None => "not an SES identity",
        };
        match &self.account {
            Some(account) => writeln!(f, "  SES account: {account}")?,
            None => writeln!(f, "  SES account: not read")?,
        }
        writeln!(
            f,
            "  sender {}: {}",
            self.sender,
            verified(self.sender_verified)
        )?;
        if let Some(set) = &self.configuration_set {
            writeln!(
                f,
                "  configuration set {}: {}",
                set.name,
                match set.exists {
                    Some(true) => "exists",
                    Some(false) => "DOES NOT EXIST",
                    None => "not read",
                }
            )?;
        }
        if self.account.as_ref().is_some_and(|a| a.production) {
            writeln!(
                f,
                "  {} recipients (production: no verification needed)",
                self.recipients.len()
            )?;
        } else {
            for (recipient, v) in &self.recipients {
                writeln!(f, "  recipient {recipient}: {}", verified(*v))?;
            }
        }
        for warning in &self.warnings {
            writeln!(f, "  warning: {warning}")?;
        }
        for problem in &self.problems {
            writeln!(f, "  PROBLEM: {problem}")?;
        }
        Ok(())
    }
}

/// What stops the weekly email, from what SES said: each problem with what to do.
pub(crate) fn problems(
    sender: &str,
    sender_verified: Verified,
    account: Option<&Account>,
    recipients: &[(String, Verified)],
    configuration_set: Option<&ConfigurationSet>,
) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(set) = configuration_set.filter(|set| set.exists == Some(false)) {
        problems.push(format!(
            "the configuration set {} ({SES_CONFIGURATION_SET}) does not exist in SES in this \
             region, so every send would fail: create it, or correct {SES_CONFIGURATION_SET} \
             and deploy",
            set.name
        ));
    }
    if recipients.len() > MAX_RECIPIENTS {
        problems.push(format!(
            "{} recipients: SES sends one message to {MAX_RECIPIENTS} at most; use a mailing \
             list",
            recipients.len()
        ));
    }
    if sender_verified != Some(true) {
        problems.push(format!(
            "the sender {sender} is {} in SES: verify it (aws sesv2 create-email-identity \
             --email-identity {sender}, then the link SES mails) or its domain",
            if sender_verified.is_none() {
                "not an identity"
            } else {
                "not verified"
            }
        ));
    }
    if let Some(account) = account {
        if !account.sending_enabled {
            problems.push(
                "sending is disabled for the SES account (paused by AWS or by you): see the \
                 SES console's account dashboard"
                    .to_owned(),
            );
        }
        if !account.production {
            for (recipient, verified) in recipients {
                if *verified != Some(true) {
                    problems.push(format!(
                        "the SES account is in the sandbox, which sends only to verified \
                         addresses, and {recipient} is not one: verify it, or request \
                         production access (SES console, Get set up)"
                    ));
                }
            }
        }
    }
    problems
}

impl Operations {
    /// SES's state for the deployed reporter's sender and recipients.
    pub(crate) async fn email_readiness(&self) -> Result<EmailReadiness, OpsError> {
        let (sender, recipients, configuration_set) = self.reporter_addresses().await?;
        let mut warnings = Vec::new();
        let account = self.ses_account(&mut warnings).await;
        let configuration_set = match configuration_set {
            Some(name) => Some(self.configuration_set(name, &mut warnings).await),
            None => None,
        };
        let mut identity = |result: Result<Verified, OpsError>, address: &str| {
            result.unwrap_or_else(|e| {
                warnings.push(format!("could not read the SES identity of {address}: {e}"));
                None
            })
        };
        let sender_verified = identity(self.identity_verified(&sender).await, &sender);
        let mut checked = Vec::new();
        for recipient in recipients {
            // Out of the sandbox a recipient needs no identity: nothing to read.
            let verified = match &account {
                Some(account) if account.production => Some(true),
                _ => identity(self.identity_verified(&recipient).await, &recipient),
            };
            checked.push((recipient, verified));
        }
        Ok(EmailReadiness {
            problems: problems(
                &sender,
                sender_verified,
                account.as_ref(),
                &checked,
                configuration_set.as_ref(),
            ),
            sender,
            sender_verified,
            configuration_set,
            account,
            recipients: checked,
            warnings,
        })
    }

    /// The SES account's sandbox or production, sending and quota; a warning when unread.
    async fn ses_account(&self, warnings: &mut Vec<String>) -> Option<Account> {
        match self.ses.get_account().send().await {
            Ok(answer) => Some(Account {
                production: answer.production_access_enabled,
                sending_enabled: answer.sending_enabled,
                max_24_hours: answer
                    .send_quota
                    .as_ref()
                    .map_or(0.0, |q| q.max24_hour_send),
                sent_last_24_hours: answer
                    .send_quota
                    .as_ref()
                    .map_or(0.0, |q| q.sent_last24_hours),
            }),
            Err(e) => {
                warnings.push(format!(
                    "could not read the SES account (GetAccount: {}): check sandbox or production \
                     in the SES console",
                    e.code()
                        .or(e.message())
                        .unwrap_or("an error without a code")
                ));
                None
            }
        }
    }

    /// Whether the configuration set `name` exists; a warning when unread.
    async fn configuration_set(
        &self,
        name: String,
        warnings: &mut Vec<String>,
    ) -> ConfigurationSet {
        let exists = match self.configuration_set_exists(&name).await {
            Ok(exists) => Some(exists),
            Err(e) => {
                warnings.push(format!("could not read the configuration set {name}: {e}"));
                None
            }
        };
        ConfigurationSet { name, exists }
    }

    /// The sender, the recipients and the configuration set (if any) the reporter's live version
    /// runs with.
    async fn reporter_addresses(&self) -> Result<(String, Vec<String>, Option<String>), OpsError> {
        let name = self.function_name(Function::Reporter)?;
        let variables = self.reporter_settings().await?;
        let setting = |key: &str| {
            variables
                .get(key)
                .cloned()
                .ok_or_else(|| OpsError::Refused {
                    step: "read the reporter's settings",
                    message: format!("{name}:{LIVE_ALIAS} has no {key}"),
                })
        };
        let recipients = setting(REPORT_RECIPIENTS)?
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect();
        let configuration_set = variables
            .get(SES_CONFIGURATION_SET)
            .map(|set| set.trim().to_owned())
            .filter(|set| !set.is_empty());
        Ok((setting(REPORT_SENDER)?, recipients, configuration_set))
    }

    /// Whether SES has the configuration set in the stage's region.
    async fn configuration_set_exists(&self, name: &str) -> Result<bool, OpsError> {
        match self
            .ses
            .get_configuration_set()
            .configuration_set_name(name)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some("NotFoundException") => Ok(false),
            Err(e) => Err(aws_failed("read an SES configuration set")(e)),
        }
    }

    /// Whether the address, or else the nearest of its domains SES has (a verified domain covers
    /// its subdomains), is an identity verified for sending.
    async fn identity_verified(&self, address: &str) -> Result<Verified, OpsError> {
        for identity in identities(address) {
            match self
                .ses
                .get_email_identity()
                .email_identity(identity)
                .send()
                .await
            {
                // SES says it twice: whether the identity may send, and how its verification
                // ended. moto never sets the first, so either counts.
                Ok(answer) => {
                    let verified = answer.verified_for_sending_status
                        || answer.verification_status
                            == Some(aws_sdk_sesv2::types::VerificationStatus::Success);
                    return Ok(Some(verified));
                }
                Err(e) if e.code() == Some("NotFoundException") => {}
                Err(e) => return Err(aws_failed("read an SES identity")(e)),
            }
        }
        Ok(None)
    }
}

/// The identities SES may verify an address by, nearest first: the address, its domain, then
/// each parent domain down to two labels (SES: a verified domain also verifies its subdomains,
/// so `reports@mail.example.dev` is covered by `example.dev`; a top-level domain is never an
/// identity).
pub(crate) fn identities(address: &str) -> Vec<&str> {
    let mut found = vec![address];
    let Some((_, mut domain)) = address.rsplit_once('@') else {
        return found;
    };
    while domain.contains('.') {
        found.push(domain);
        match domain.split_once('.') {
            Some((_, parent)) if parent.contains('.') => domain = parent,
            _ => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(production: bool) -> Account {
        Account {
            production,
            sending_enabled: true,
            max_24_hours: 200.0,
            sent_last_24_hours: 0.0,
        }
    }

    #[test]
    fn in_the_sandbox_each_unverified_recipient_is_a_problem_and_in_production_none_is() {
        let recipients = vec![
            ("owner@example.dev".to_owned(), Some(true)),
            ("second@example.dev".to_owned(), None),
        ];
        let sandbox = problems(
            "reports@example.dev",
            Some(true),
            Some(&account(false)),
            &recipients,
            None,
        );
        assert_eq!(sandbox.len(), 1, "{sandbox:?}");
        assert!(sandbox[0].contains("second@example.dev") && sandbox[0].contains("sandbox"));
        assert!(
            problems(
                "reports@example.dev",
                Some(true),
                Some(&account(true)),
                &recipients,
                None,
            )
            .is_empty()
        );
    }

    #[test]
    fn an_unverified_sender_too_many_recipients_and_paused_sending_are_problems() {
        let many: Vec<(String, Verified)> = (0..=MAX_RECIPIENTS)
            .map(|i| (format!("r{i}@example.dev"), Some(true)))
            .collect();
        let paused = Account {
            sending_enabled: false,
            ..account(true)
        };
        let found = problems(
            "reports@example.dev",
            Some(false),
            Some(&paused),
            &many,
            None,
        );
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].starts_with("51 recipients"));
        assert!(found[1].contains("reports@example.dev is not verified"));
        assert!(found[2].contains("sending is disabled"));
        let missing = problems("reports@example.dev", None, None, &many[..1], None);
        assert_eq!(missing.len(), 1);
        assert!(missing[0].contains("is not an identity"));
    }

    #[test]
    fn an_address_at_a_subdomain_is_checked_against_each_parent_domain() {
        assert_eq!(
            identities("reports@mail.example.dev"),
            [
                "reports@mail.example.dev",
                "mail.example.dev",
                "example.dev"
            ]
        );
        assert_eq!(
            identities("owner@example.dev"),
            ["owner@example.dev", "example.dev"]
        );
        assert_eq!(identities("not-an-address"), ["not-an-address"]);
        assert_eq!(identities("root@localhost"), ["root@localhost"]);
    }

    #[test]
    fn a_configuration_set_ses_does_not_have_is_a_problem_and_one_it_has_is_not() {
        let set = |exists| ConfigurationSet {
            name: "reports".to_owned(),
            exists,
        };
        let recipients = [("owner@example.dev".to_owned(), Some(true))];
        let check = |configuration_set: &ConfigurationSet| {
            problems(
                "reports@example.dev",
                Some(true),
                Some(&account(true)),
                &recipients,
                Some(configuration_set),
            )
        };
        let missing = check(&set(Some(false)));
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert!(
            missing[0].contains("configuration set reports")
                && missing[0].contains("does not exist")
        );
        assert!(check(&set(Some(true))).is_empty());
        // Not read: a warning where it was read, no problem.
        assert!(check(&set(None)).is_empty());
    }
}
