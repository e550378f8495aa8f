//! The guideline's password rules. Implemented by the password-policy task.
