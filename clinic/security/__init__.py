"""Sign-in and session security: lockout, two-step sign-in, sessions and API tokens, break-glass access.

docs/security.md describes what each part protects and how an operator configures it.
"""
