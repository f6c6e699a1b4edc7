//! Time budgets: a deadline that cannot overflow the clock, and durations
//! as messages show them. Split from the client (`api.rs`) because the
//! verifier, its progress display and the retry loop all use them.

use std::time::{Duration, Instant};

/// `now + budget`, or as far as the clock goes (the budget is at most 24 h,
/// so this never saturates in practice; it just cannot panic).
pub fn deadline_after(budget: Duration) -> Instant {
    let now = Instant::now();
    let mut budget = budget;
    loop {
        if let Some(end) = now.checked_add(budget) {
            return end;
        }
        budget /= 2;
    }
}

/// `2s`, `1.5s`, `250ms`, `5m`: for messages.
pub fn show_duration(duration: Duration) -> String {
    if duration == Duration::MAX {
        return "forever".to_string();
    }
    let secs = duration.as_secs();
    if secs == 0 {
        return format!("{}ms", duration.subsec_millis());
    }
    if secs >= 120 && secs % 60 == 0 && duration.subsec_nanos() == 0 {
        return format!("{}m", secs / 60);
    }
    if duration.subsec_millis() == 0 {
        return format!("{secs}s");
    }
    format!("{:.1}s", duration.as_secs_f64())
}
