"""Who is calling: API tokens and their scope, staff sign-in, sessions, sign-in throttling."""
