//! The one rule for a new login password, for registration, a password change and a
//! recovery alike, on the command line and in the app: at least [`MIN_PASSWORD_LEN`]
//! characters, and not guessable, as the zxcvbn estimator judges it: score 4 of 4, at least
//! 10¹⁰ guesses. Whoever has a copy of the vault can guess offline at the vault's Argon2id
//! cost, about 0.2 s of one core a guess here: 10¹⁰ guesses are some 60 core-years, about
//! four years on a 16-core computer (score 3, 10⁸ guesses, was three weeks there). The
//! app's meter shows the same estimate as the user types.

/// Shortest login password accepted.
pub const MIN_PASSWORD_LEN: usize = 8;

/// The lowest zxcvbn score accepted (0 to 4).
const MIN_SCORE: u8 = 4;

/// Seconds of one core a guess costs at the vault's default Argon2id cost (measured here:
/// 64 MiB, 3 passes), and the cores of a computer someone might guess with.
const SECONDS_A_GUESS: f64 = 0.2;
const GUESSING_CORES: f64 = 16.0;

/// Only the first characters are judged: zxcvbn's time grows with the length, and a
/// password this long is not weak for its tail.
const JUDGED_CHARS: usize = 100;

/// How guessable a password is.
#[derive(Debug, Clone, PartialEq)]
pub struct PasswordStrength {
    /// zxcvbn's score: 0 (guessed at once) to 4 (very unlikely to be guessed).
    pub score: u8,
    /// Why it is weak, when it is ("This is a top-10 common password").
    pub warning: Option<String>,
    /// What would make it stronger.
    pub hint: Option<String>,
    /// Whether it is long enough.
    pub long_enough: bool,
    /// About how many guesses find it, as a power of ten (zxcvbn's estimate).
    pub guesses_log10: f64,
}

impl PasswordStrength {
    /// Whether the rule accepts it.
    pub fn acceptable(&self) -> bool {
        self.long_enough && self.score >= MIN_SCORE
    }

    /// A word for the score: Very weak, Weak, Fair, Good, Strong.
    pub fn label(&self) -> &'static str {
        ["Very weak", "Weak", "Fair", "Good", "Strong"][usize::from(self.score.min(4))]
    }

    /// Why it is refused, in one sentence with what to do; `None` when it is accepted.
    pub fn refusal(&self) -> Option<String> {
        if !self.long_enough {
            return Some(format!("the password is too short: use at least {MIN_PASSWORD_LEN} characters"));
        }
        if self.acceptable() {
            return None;
        }
        let found = format!(
            "someone with a copy of the vault would find it in about {} on a 16-core computer",
            self.time_to_guess()
        );
        let why = self.warning.as_deref().map(|w| w.trim_end_matches('.').to_string()).unwrap_or(found);
        let hint = self.hint.as_deref().unwrap_or("Add another word or two. Uncommon words are better.");
        Some(format!("the password is too easy to guess: {}. {hint}", lower_first(&why)))
    }

    /// What is said of a password the rule accepts: how long guessing it would take.
    pub fn praise(&self) -> Option<String> {
        self.acceptable().then(|| format!("guessing it would take {} on a 16-core computer", self.time_to_guess()))
    }

    /// About how long guessing it takes at the vault's cost on a 16-core computer, in words.
    pub fn time_to_guess(&self) -> String {
        let seconds = 10f64.powf(self.guesses_log10) * SECONDS_A_GUESS / GUESSING_CORES;
        let (value, unit) = match seconds {
            s if s < 3600.0 => return "an hour or less".to_string(),
            s if s < 2.0 * 86_400.0 => (s / 3600.0, "hours"),
            s if s < 60.0 * 86_400.0 => (s / 86_400.0, "days"),
            s if s < 2.0 * 365.0 * 86_400.0 => (s / (30.0 * 86_400.0), "months"),
            s if s < 1000.0 * 365.0 * 86_400.0 => (s / (365.0 * 86_400.0), "years"),
            _ => return "more than a thousand years".to_string(),
        };
        format!("{} {unit}", value.round().max(1.0))
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_lowercase().chain(chars).collect()).unwrap_or_default()
}

/// How guessable `password` is for an account with these names (the user name and the
/// email: a password made of them is weak).
pub fn password_strength(password: &str, names: &[&str]) -> PasswordStrength {
    let long_enough = password.chars().count() >= MIN_PASSWORD_LEN;
    if password.is_empty() {
        return PasswordStrength { score: 0, warning: None, hint: None, long_enough, guesses_log10: 0.0 };
    }
    let judged: String = password.chars().take(JUDGED_CHARS).collect();
    let entropy = zxcvbn::zxcvbn(&judged, names);
    let feedback = entropy.feedback();
    // Said plainly when it is so: zxcvbn's own words for it are general.
    let lower = password.to_lowercase();
    let holds_a_name = names
        .iter()
        .map(|name| name.split('@').next().unwrap_or(name).to_lowercase())
        .any(|name| name.chars().count() >= 3 && lower.contains(&name));
    PasswordStrength {
        score: u8::from(entropy.score()),
        warning: match holds_a_name {
            true => Some("It contains your user name or email address".to_string()),
            false => feedback.and_then(|f| f.warning()).map(|w| w.to_string()),
        },
        hint: feedback.and_then(|f| f.suggestions().first()).map(|s| s.to_string()),
        long_enough,
        guesses_log10: entropy.guesses_log10(),
    }
}

/// The rule: `Err` with the refusal when `password` is not accepted.
pub(crate) fn check_new_password(password: &str, names: &[&str]) -> Result<(), super::RegisterError> {
    match password_strength(password, names).refusal() {
        Some(why) => Err(super::RegisterError::WeakPassword(why)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_short_and_name_based_passwords_are_refused_with_a_reason() {
        let refusal = password_strength("password", &[]).refusal().unwrap();
        assert!(refusal.contains("too easy to guess") && refusal.contains("common password"), "{refusal}");
        assert!(password_strength("hunter2hunter2", &[]).refusal().is_some());
        assert!(password_strength("short", &[]).refusal().unwrap().contains("too short"));
        let named = password_strength("alice2024!", &["alice", "alice@example.com"]).refusal().unwrap();
        assert!(named.contains("contains your user name"), "{named}");
    }

    #[test]
    fn a_password_of_score_three_is_refused_with_how_long_guessing_it_takes() {
        // zxcvbn's score 3 (10^8 to 10^10 guesses): weeks to months for a 16-core computer.
        let fair = ["Monkey4Banana!", "purple-tiger-7", "qwertz12345!", "Sunshine!2019x"]
            .into_iter()
            .map(|p| password_strength(p, &[]))
            .find(|s| s.score == 3)
            .expect("one of these scores 3");
        let refusal = fair.refusal().expect("score 3 is refused");
        assert!(refusal.contains("too easy to guess"), "{refusal}");
        assert!(!fair.time_to_guess().contains("years"), "{}", fair.time_to_guess());
        let strong = password_strength("correct horse battery staple", &[]);
        assert_eq!(strong.score, 4);
        assert!(strong.time_to_guess().contains("years"), "{}", strong.time_to_guess());
    }

    #[test]
    fn passphrases_are_accepted() {
        for good in ["correct horse battery staple", "a brand new password nobody knows", "Tr0ub4dor&3 moon"] {
            let strength = password_strength(good, &["alice"]);
            assert!(strength.acceptable(), "{good}: {strength:?}");
            assert_eq!(strength.refusal(), None);
        }
    }
}
