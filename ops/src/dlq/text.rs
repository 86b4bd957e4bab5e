//! The dead-letter commands' text: the list, one message whole, what a redrive did.

use std::fmt;

use super::{DeadLetter, Peek, RedriveReport};

/// `dlq list`: the count, then each message with its age, reason and the start of its body.
impl fmt::Display for Peek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} waiting in the dead-letter queue, {} in flight",
            self.approximate_total, self.approximate_in_flight
        )?;
        if self.messages.is_empty() {
            return writeln!(f);
        }
        writeln!(f, "; the first {}:", self.messages.len())?;
        for m in &self.messages {
            let waited = m.sent_at.map_or_else(
                || "?".into(),
                |t| age((self.looked_at - t).num_seconds().max(0)),
            );
            let body: String = m.body.chars().take(60).collect();
            let cut = if m.body.chars().count() > 60 {
                "…"
            } else {
                ""
            };
            writeln!(f, "  {}  {waited} old", m.message_id)?;
            writeln!(f, "    reason: {}", m.reason_or_redrive())?;
            writeln!(f, "    body:   {body}{cut}")?;
        }
        if (self.messages.len() as u64) < self.approximate_total {
            writeln!(
                f,
                "  (a FIFO queue lends only the first messages of a group at a time: \
                 redrive them, or fix the cause, to see the rest)"
            )?;
        }
        writeln!(
            f,
            "Show one whole: cv-analytics dlq show <ID>; move them back after a fix: cv-analytics dlq redrive"
        )
    }
}

/// `dlq show`: one message, whole.
impl fmt::Display for DeadLetter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "message   {}", self.message_id)?;
        writeln!(f, "group     {}", self.group_id.as_deref().unwrap_or("-"))?;
        writeln!(
            f,
            "sent      {}",
            self.sent_at.map_or_else(|| "-".into(), |t| t.to_rfc3339())
        )?;
        writeln!(
            f,
            "received  {} times from the dead-letter queue",
            self.receive_count
        )?;
        writeln!(f, "reason    {}", self.reason_or_redrive())?;
        writeln!(
            f,
            "source id {}",
            self.source_message_id.as_deref().unwrap_or("-")
        )?;
        writeln!(f, "body\n{}", self.body)
    }
}

/// `dlq redrive`: what moved, and what came back still poison.
impl fmt::Display for RedriveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dry_run {
            return writeln!(
                f,
                "{} messages would move back to the event queue (dry run: nothing moved)",
                self.would_move
            );
        }
        writeln!(
            f,
            "{} of the {} messages held at the start moved back to the event queue; the processor \
             takes them from there",
            self.moved, self.held_at_start
        )?;
        if self.came_back > 0 {
            writeln!(
                f,
                "{} came back already, still poison (their reasons: cv-analytics dlq list); they \
                 were left in the dead-letter queue",
                self.came_back
            )?;
        }
        Ok(())
    }
}

/// `95` as `1 min 35 s`, `90000` as `1 d 1 h`.
pub(crate) fn age(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3_600 => format!("{} min {} s", s / 60, s % 60),
        s if s < 86_400 => format!("{} h {} min", s / 3_600, s % 3_600 / 60),
        s => format!("{} d {} h", s / 86_400, s % 86_400 / 3_600),
    }
}
