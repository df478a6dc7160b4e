"""Staff accounts: roles, passphrase + TOTP login, lockout, re-authentication, idle timeout."""
