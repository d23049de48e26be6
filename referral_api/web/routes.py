"""Page routes: sign-in and sign-out, the advocate console, the gap report, the support widget
and its demo.

Not part of the API's OpenAPI document. Every page carries the security headers of
:mod:`referral_api.web.rendering`; every form post is CSRF-checked (:mod:`.session`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import FileResponse, Response

from referral_api.errors import ReferralError
from referral_api.http.deps import EngineDep, EngineHolderDep, NowDep, SessionDep, SettingsDep
from referral_api.insights.export import gaps_csv
from referral_api.service.gaps import capability_labels, offering_names, rules_stopwords
from referral_api.service.keys import Scope
from referral_api.service.suggestions import accept_suggestion, reject_suggestion
from referral_api.web import console
from referral_api.web.forms import FormProblems, LookUpForm, OutcomeForm
from referral_api.web.gap_report import (
    CHANNEL_CHOICES,
    KIND_CHOICES,
    filtered_report,
    gap_page,
    read_filters,
)
from referral_api.web.rendering import STATIC_DIR, render_page, secure_page, see_other
from referral_api.web.session import (
    AdvocateForm,
    AdvocatePage,
    InsightsPage,
    PageFormDep,
    PageSession,
    check_sign_in_token,
    end_session,
    keep_sign_in_token,
    landing_page,
    require_page_form,
    sign_in,
    sign_in_token,
    start_session,
)
from referral_api.web.suggestions import decision_redirect, suggestions_section

router = APIRouter(include_in_schema=False)

CuratorForm = Annotated[PageSession, Depends(require_page_form(Scope.CURATOR))]
RecordId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
NextPath = Annotated[str | None, Query(max_length=500)]
WIDGET_HEADERS = {
    "Cache-Control": "public, max-age=3600",
    "X-Content-Type-Options": "nosniff",
    # host pages on any site load it, including pages that isolate themselves (COEP)
    "Cross-Origin-Resource-Policy": "cross-origin",
}


@router.get("/sign-in")
def sign_in_page(request: Request, next: NextPath = None) -> Response:
    """The sign-in form (console and gap report)."""
    return _sign_in_form(request, next or "", None, 200)


def _sign_in_form(request: Request, next_path: str, error: str | None, status: int) -> Response:
    token = sign_in_token(request)
    context = {"next": next_path, "error": error, "sign_in_token": token}
    response = render_page(request, "sign_in.html", context, page=None, status_code=status)
    keep_sign_in_token(request, response, token)
    return secure_page(response, private=True)


@router.post("/sign-in")
def sign_in_submit(
    request: Request,
    key: Annotated[str, Form(max_length=500)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Exchange a key for a session cookie, then go to the page asked for."""
    try:
        check_sign_in_token(request, csrf_token)
        principal = sign_in(request, key)
    except ReferralError as exc:
        refused = _sign_in_form(request, next, exc.detail, exc.status)
        retry_after = getattr(exc, "retry_after", None)  # RateLimited
        if retry_after is not None:
            refused.headers["Retry-After"] = str(retry_after)
        return refused
    response = see_other(landing_page(principal, next))
    start_session(request, response, principal)
    return response


@router.post("/sign-out")
def sign_out(request: Request, page: PageFormDep) -> Response:
    """End the session on the server (every worker refuses its cookie, a copy of it too), clear
    the cookie, and return to the sign-in form."""
    response = see_other("/sign-in")
    end_session(request, response, page)
    return response


@router.get("/console")
def console_page(
    request: Request, page: AdvocatePage, session: SessionDep, holder: EngineHolderDep
) -> Response:
    """The advocate console: the look-up form and this session's look-ups."""
    context = console.console_context(session, page, catalog=console.current_catalog(holder))
    return render_page(request, "console.html", context, page=page)


@router.post("/console/look-up")
def console_look_up(
    request: Request,
    form: Annotated[LookUpForm, Form()],
    page: AdvocateForm,
    session: SessionDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> Response:
    """Look up a recommendation for a customer's need (channel advocate), then show it; a
    refined look-up (the form of a look-up's page) is linked to the one it refines."""
    body, problems = console.prepare_look_up(engine, form)
    if body is not None:
        try:
            public = console.look_up(
                session,
                engine,
                page,
                body,
                redact_needs=settings.redact_needs,
                refines=form.refines or None,
            )
        except ReferralError as exc:
            if exc.status != 422:
                raise
            problems = FormProblems.of(exc)
        else:
            return see_other(f"/console/r/{public.id}#result")
    context = console.console_context(
        session, page, catalog=engine.catalog, form=form, problems=problems
    )
    return render_page(request, "console.html", context, page=page, status_code=problems.status)


@router.get("/console/r/{record_id}")
def console_result(
    request: Request,
    record_id: RecordId,
    page: AdvocatePage,
    session: SessionDep,
    holder: EngineHolderDep,
    recorded: bool = False,
) -> Response:
    """One look-up: cards, comparison, message for the customer, and its outcome."""
    result = console.read_look_up(session, record_id)
    notice = "Outcome recorded." if recorded and result.public.outcome else None
    context = console.console_context(
        session, page, catalog=console.current_catalog(holder), result=result, notice=notice
    )
    return render_page(request, "console.html", context, page=page)


@router.post("/console/r/{record_id}/without")
def console_without(
    request: Request,
    record_id: RecordId,
    constraint: Annotated[str, Form(max_length=100, pattern=r"^[a-z_]+(=[^=\s]+)?$")],
    page: AdvocateForm,
    session: SessionDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> Response:
    """Look up again without one constraint that was read wrongly, linked to this look-up."""
    try:
        public = console.look_up_without(
            session, engine, page, record_id, constraint, redact_needs=settings.redact_needs
        )
    except ReferralError as exc:
        if exc.status != 422:
            raise
        context = console.console_context(
            session,
            page,
            catalog=engine.catalog,
            result=console.read_look_up(session, record_id),
            problems=FormProblems.of(exc),
        )
        return render_page(request, "console.html", context, page=page, status_code=422)
    return see_other(f"/console/r/{public.id}#result")


@router.post("/console/r/{record_id}/outcome")
def console_outcome(
    request: Request,
    record_id: RecordId,
    form: Annotated[OutcomeForm, Form()],
    page: AdvocateForm,
    session: SessionDep,
    holder: EngineHolderDep,
) -> Response:
    """Record what the customer did, in one click, then show the look-up again."""
    problems = console.save_outcome(session, page, record_id, form)
    if not problems:
        return see_other(f"/console/r/{record_id}?recorded=true#outcome")
    result = console.read_look_up(session, record_id)
    context = console.console_context(
        session,
        page,
        catalog=console.current_catalog(holder),
        result=result,
        outcome_problems=problems,
    )
    return render_page(request, "console.html", context, page=page, status_code=problems.status)


@router.get("/insights")
def insights_page(
    request: Request,
    page: InsightsPage,
    session: SessionDep,
    holder: EngineHolderDep,
    now: NowDep,
) -> Response:
    """The gap report: ranked gaps, the weekly trend, clusters of similar needs, filters."""
    filters = read_filters(request.query_params, request.query_params.getlist("kind"))
    labels = capability_labels(holder)
    report = gap_page(
        session,
        filters,
        now=now,
        labels=labels,
        names=offering_names(holder),
        stopwords=rules_stopwords(holder),
    )
    context = {
        "gaps": report,
        "suggestions": suggestions_section(
            session,
            holder,
            page,
            now=now,
            window=request.query_params,
            decided=request.query_params.get("decided"),
            problem=request.query_params.get("suggestion_problem"),
        ),
        "kind_choices": KIND_CHOICES,
        "channel_choices": CHANNEL_CHOICES,
        "capabilities": sorted(labels.items(), key=lambda item: item[1].casefold()),
    }
    status = 422 if report.problems else 200
    return render_page(request, "insights.html", context, page=page, status_code=status)


@router.post("/insights/suggestions/{suggestion_id}/{decision}")
def insights_suggestion_decision(
    suggestion_id: Annotated[str, Path(max_length=64)],
    decision: Annotated[Literal["accept", "reject"], Path()],
    page: CuratorForm,
    session: SessionDep,
    holder: EngineHolderDep,
    now: NowDep,
) -> Response:
    """Accept (a new catalogue version) or reject a vocabulary suggestion, then show the page."""
    actor = f"key:{page.principal.name}"
    try:
        if decision == "accept":
            accept_suggestion(session, suggestion_id, actor=actor, now=now)
        else:
            loaded = holder.current
            reject_suggestion(session, suggestion_id, actor=actor, now=now,
                              catalog=loaded.catalog, rules=loaded.rules)  # fmt: skip
    except ReferralError as exc:
        if exc.status not in (404, 409, 422):
            raise
        session.rollback()  # nothing of a refused decision is kept
        return see_other(decision_redirect(exc, decision))
    return see_other(decision_redirect(None, f"{decision}ed"))


@router.get("/insights/gaps.csv")
def insights_csv(
    request: Request,
    page: InsightsPage,
    session: SessionDep,
    holder: EngineHolderDep,
    now: NowDep,
) -> Response:
    """The gap report as CSV, for the signed-in page (the API's is /v1/insights/gaps.csv)."""
    filters = read_filters(request.query_params, request.query_params.getlist("kind"))
    # the report alone: no clusters, rows or chart for a download
    report, _, problems_by_field = filtered_report(session, filters, now=now)
    if report is None:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in problems_by_field.items())
        return Response(f"invalid filters: {problems}\n", status_code=422,
                        media_type="text/plain; charset=utf-8")  # fmt: skip
    response = Response(
        gaps_csv(report, capability_labels(holder), offering_names(holder)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="gaps.csv"'},
    )
    return secure_page(response, private=True)


@router.get("/widget.js")
def widget_script() -> Response:
    """The support widget: one script tag embeds it (see /widget-demo)."""
    return FileResponse(
        STATIC_DIR / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers=WIDGET_HEADERS,
    )


@router.get("/widget-demo")
def widget_demo(
    request: Request, key: Annotated[str | None, Query(max_length=200)] = None
) -> Response:
    """A sample host page that embeds the widget with a publishable key."""
    publishable = key if key and key.startswith("pk_") else None
    context = {"key": publishable, "given": key, "origin": str(request.base_url).rstrip("/")}
    return render_page(request, "widget_demo.html", context, page=None)


@router.get("/favicon.ico")
def favicon() -> Response:
    """The site icon at the address browsers ask for on every page (the pages link the SVG)."""
    return FileResponse(
        STATIC_DIR / "favicon.ico",
        media_type="image/vnd.microsoft.icon",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
