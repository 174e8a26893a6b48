"""Signing in and out of the staff pages, and changing one's password. The session, the
password check and the count of failed attempts are ``issuer.auth.staff``'s; these are the
pages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from issuer.auth.staff import (
    MIN_PASSWORD,
    change_password,
    current_user,
    find_user,
    login_blocked,
    login_failed,
    login_user,
    logout_user,
    safe_next,
    staff_required,
)
from issuer.staff.blueprint import bp, staff_user
from issuer.staff.forms import LoginForm, PasswordForm


def _login_page(form: LoginForm, target: str | None, error: str | None = None) -> str:
    return render_template("staff/login.html", form=form, next=target, error=error)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form; a wrong address or password gets one generic message (422), too many
    failures of this client with this address a while of refusals (429)."""
    target = safe_next(request.values.get("next"))
    form = LoginForm()
    if request.method == "GET":
        if current_user() is not None:
            return redirect(target or url_for("staff.dashboard"))
        return _login_page(form, target)
    email = form.email.data or ""
    if login_blocked(email):
        error = _("Too many failed attempts. Wait a few minutes and try again.")
        return _login_page(form, target, error), 429
    user = find_user(email, form.password.data) if form.validate() else None
    if user is None:
        login_failed(email)
        error = _("The e-mail address or the password is not right.")
        return _login_page(form, target, error), 422
    login_user(user)
    return redirect(target or url_for("staff.dashboard"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Sign out (a POST with the form's CSRF token) and go back to the sign-in page."""
    logout_user()
    flash(_("You have signed out."))
    return redirect(url_for("staff.login"))


def _password_page(form: PasswordForm) -> str:
    return render_template("staff/password.html", form=form, minimum=MIN_PASSWORD)


@bp.route("/password", methods=["GET", "POST"])
@staff_required()
def password() -> ResponseReturnValue:
    """Change one's own password: the current one, the new one twice. Every other session of
    the user ends (and every saved copy of this one's cookie); this browser stays signed in."""
    form = PasswordForm()
    if request.method == "GET":
        return _password_page(form)
    user = staff_user()
    if login_blocked(user.email):
        form.add_error(
            "current_password", _("Too many failed attempts. Wait a few minutes and try again.")
        )
        return _password_page(form), 429
    form.validate()
    if find_user(user.email, form.current_password.data or "") is None:
        login_failed(user.email)
        form.add_error("current_password", _("The current password is not right."))
    if form.problems():
        return _password_page(form), 422
    change_password(user, form.new_password.data)
    flash(_("Your password is changed. You are signed out everywhere else."))
    return redirect(url_for("staff.dashboard"))
