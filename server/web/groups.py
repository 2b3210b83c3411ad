"""Group pages: the group's home, create/edit/delete, join/leave, members and "my groups"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.activitypub.follows import pending_requests
from server.activitypub.members_collection import members_collection
from server.activitypub.routes import group_actor, wants_activity_json
from server.errors import Conflict, Gone, HearthError, InvalidInput
from server.i18n import _
from server.models import Group, MembershipState, User
from server.services import conversations, group_actions, news, remote_membership
from server.services import membership as members
from server.services.audit import audit
from server.services.calendar import group_calendar
from server.services.checkin import last_met
from server.services.follower_members import remote_members_of
from server.services.groups import (
    GroupFields,
    create_group,
    get_group,
    group_tags,
    groups_of_user,
    parse_tags,
)
from server.services.posts import list_posts
from server.services.reactions import counts_by_key
from server.services.users import get_user
from server.uploads import remove_image, save_image, upload_body_limit
from server.uris import LocalUris
from server.web.common import (
    current_user,
    db,
    flash,
    form_text,
    read_form,
    redirect,
    render,
    require_user,
    settings_of,
)
from server.web.remote_members import invite_link

FIELD_NAMES = (
    "slug",
    "name",
    "summary",
    "location",
    "latitude",
    "longitude",
    "tags",
    "visibility",
    "membership_mode",
    "posting_policy",
    "language",
)


def _coordinate(form: FormData, key: str) -> float | None:
    raw = form_text(form, key).strip().replace(",", ".")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidInput(_("Enter a number such as 45.76."), field=key) from None


def fields_from_form(form: FormData) -> GroupFields:
    """Group fields from a submitted form (coordinates parsed, tags split)."""
    return GroupFields(
        name=form_text(form, "name"),
        summary=form_text(form, "summary"),
        location=form_text(form, "location"),
        latitude=_coordinate(form, "latitude"),
        longitude=_coordinate(form, "longitude"),
        tags=parse_tags(form_text(form, "tags")),
        visibility=form_text(form, "visibility", "public"),
        membership_mode=form_text(form, "membership_mode", "open"),
        posting_policy=form_text(form, "posting_policy"),
        language=form_text(form, "language"),
    )


@dataclass
class ImageChanges:
    """Files a request wrote (removed if it fails) and replaced (removed if it succeeds)."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)


async def _store_images(
    request: Request, form: FormData, group: Group, changes: ImageChanges
) -> None:
    """Save uploaded avatar/banner images onto the group, or clear them when asked."""
    settings = settings_of(request)
    for key in ("avatar", "banner"):
        upload = form.get(key)
        if isinstance(upload, UploadFile) and upload.filename:
            stored = await save_image(
                upload, settings.uploads_path, settings.uploads.max_bytes, field=key
            )
            changes.added.append(stored.name)
        elif form_text(form, f"remove_{key}") == "on":
            stored = None
        else:
            continue
        if getattr(group, key):
            changes.replaced.append(getattr(group, key))
        setattr(group, key, stored.name if stored else "")


def _discard(request: Request, names: list[str]) -> None:
    for name in names:
        remove_image(settings_of(request).uploads_path, name)


def _max_part(request: Request) -> int:
    """Let the multipart parser take any part the body cap allows: ``save_image`` answers
    413 itself for an image over ``uploads.max_bytes``."""
    return upload_body_limit(settings_of(request).uploads.max_bytes)


async def _form_page(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    async with db(request) as session:
        return await render(request, session, template, context, status=status)


async def new_group_page(request: Request) -> Response:
    """The create-a-group form."""
    async with db(request) as session:
        user = await require_user(request, session)
        return await render(
            request, session, "group_form.html", {"group": None, "form": {}}, user=user
        )


async def new_group_submit(request: Request) -> Response:
    """Create the group; the creator becomes its admin."""
    form = await read_form(request, max_part_size=_max_part(request), max_files=2)
    try:
        return await _create_from_form(request, form)
    finally:
        await form.close()  # uploaded images are spooled to temporary files


async def _create_from_form(request: Request, form: FormData) -> Response:
    values = {key: form_text(form, key) for key in FIELD_NAMES}
    changes = ImageChanges()
    try:
        async with db(request) as session:
            user = await require_user(request, session)
            group = await create_group(
                session, form_text(form, "slug"), fields_from_form(form), user
            )
            await _store_images(request, form, group, changes)
            session.add(group)
    except HearthError as error:
        _discard(request, changes.added)
        return await _form_page(
            request,
            "group_form.html",
            {"group": None, "form": values, "error": error},
            error.status,
        )
    flash(
        request, _("%(group)s is ready. Invite your neighbors!") % {"group": group.name}, "success"
    )
    return redirect(f"/groups/{group.slug}")


async def group_page(request: Request) -> Response:
    """A group's home page (or its Group actor, for servers asking for ActivityStreams)."""
    if wants_activity_json(request):
        return await group_actor(request)
    async with db(request) as session:
        group = await get_group(session, request.path_params["slug"])
        user = await current_user(request, session)
        if group.suspended_at is not None and not (user and user.is_admin):
            raise Gone(_("This group was suspended by the instance's admins."))
        membership = await members.get_membership(session, group, user)
        can_post = members.may(user, membership, "post_as_group")
        is_member = membership is not None and membership.state == MembershipState.ACTIVE
        posts, post_count = await list_posts(
            session, group, public_only=not (can_post or is_member)
        )
        can_approve = members.may(user, membership, "approve_members")
        uris = LocalUris(settings_of(request))
        group_uri = uris.group(group.slug)
        context = {
            "group": group,
            "tags": await group_tags(session, group),
            "membership": membership,
            "member_count": await members.member_count(session, group),
            "can_edit": members.may(user, membership, "edit_group"),
            "can_see_members": members.may(user, membership, "see_members"),
            "can_post": can_post,
            "can_approve": can_approve,
            "posts": posts,
            "upcoming": await group_calendar(
                session, group, past=False, include_members_only=is_member or can_post, limit=3
            ),
            "post_count": post_count,
            "post_reactions": await counts_by_key(
                session, {post.id: uris.post(group.slug, post.id or 0) for post in posts}
            ),
            "follow_requests": len(await pending_requests(session, group_uri))
            if can_approve
            else 0,
            "handle": f"@{group.slug}@{settings_of(request).instance.domain}",
            "threads": await conversations.threads(session, group),
            "can_moderate": members.may(user, membership, "moderate"),
            "only_admin": await members.is_only_admin(session, group, membership),
            "held_count": await conversations.held_count(session, group),
        }
        return await render(request, session, "group.html", context, user=user)


async def _editable_group(request: Request, session: Any) -> tuple[Group, User]:
    user = await require_user(request, session)
    group = await group_actions.group_for(session, request.path_params["slug"], user, "edit_group")
    return group, user


async def edit_group_page(request: Request) -> Response:
    """The edit form, filled in."""
    async with db(request) as session:
        group, user = await _editable_group(request, session)
        tags = await group_tags(session, group)
        form = {**group.model_dump(), "summary": group.summary_md, "tags": ", ".join(tags)}
        return await render(
            request, session, "group_form.html", {"group": group, "form": form}, user=user
        )


async def edit_group_submit(request: Request) -> Response:
    """Save changes; a failed save changes nothing (images included)."""
    form = await read_form(request, max_part_size=_max_part(request), max_files=2)
    try:
        return await _edit_from_form(request, form)
    finally:
        await form.close()


async def _edit_from_form(request: Request, form: FormData) -> Response:
    values = {key: form_text(form, key) for key in FIELD_NAMES}
    changes = ImageChanges()
    try:

        async def fields(_current: GroupFields) -> GroupFields:
            return fields_from_form(form)

        async with db(request) as session:
            user = await require_user(request, session)
            group = await group_actions.edit(session, request.path_params["slug"], user, fields)
            await _store_images(request, form, group, changes)
            session.add(group)
    except HearthError as error:
        _discard(request, changes.added)
        async with db(request) as session:
            group = await get_group(session, request.path_params["slug"])
        context = {"group": group, "form": {**values, "slug": group.slug}, "error": error}
        return await _form_page(request, "group_form.html", context, error.status)
    _discard(request, changes.replaced)
    flash(request, _("Changes saved."), "success")
    return redirect(f"/groups/{group.slug}")


async def delete_group_submit(request: Request) -> Response:
    """Delete a group after the admin typed its name to confirm."""
    form = await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        group = await group_actions.delete(
            session, request.path_params["slug"], user, confirmation=form_text(form, "confirm")
        )
        images = [group.avatar, group.banner]
    _discard(request, [name for name in images if name])
    flash(request, _("The group %(group)s was deleted.") % {"group": group.name})
    return redirect("/me/groups")


async def join_submit(request: Request) -> Response:
    """Join an open group or ask to join an approval group."""
    await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        group, membership = await group_actions.join(
            session, settings_of(request), request.path_params["slug"], user
        )
    if membership.state == MembershipState.PENDING:
        flash(request, _("Your request to join was sent to the group's moderators."))
    else:
        flash(request, _("You are now a member of %(group)s.") % {"group": group.name}, "success")
    return redirect(f"/groups/{group.slug}")


async def leave_submit(request: Request) -> Response:
    """Leave a group."""
    await read_form(request)
    async with db(request) as session:
        user = await require_user(request, session)
        try:
            group = await group_actions.leave(session, request.path_params["slug"], user)
        except Conflict as refusal:  # the only admin: explain on the group page
            flash(request, refusal.message, "error")
            return redirect(f"/groups/{request.path_params['slug'].lower()}")
    flash(request, _("You left %(group)s.") % {"group": group.name})
    return redirect(f"/groups/{group.slug}")


async def members_page(request: Request) -> Response:
    """Members and pending requests: visible to members only (servers: the collection)."""
    if wants_activity_json(request):
        return await members_collection(request)
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        membership = await members.get_membership(session, group, user)
        await members.require(session, group, user, "see_members")
        context = {
            "group": group,
            "members": await members.list_members(session, group),
            "pending": await members.list_members(session, group, state=MembershipState.PENDING),
            "can_approve": members.may(user, membership, "approve_members"),
            "can_manage_roles": members.may(user, membership, "manage_roles"),
            "remote_members": await remote_members_of(session, group),
            "remote_pending": await remote_membership.with_actors(
                session, group, MembershipState.PENDING
            ),
            "remote_invited": await remote_membership.with_actors(
                session, group, MembershipState.INVITED
            ),
            "invite_link": invite_link(request, group)
            if members.may(user, membership, "approve_members")
            else "",
            # Attendance stays among members: the mark, never the list of meetups.
            "met": await last_met(session, group.id or 0),
        }
        return await render(request, session, "members.html", context, user=user)


async def member_action(request: Request) -> Response:
    """Approve or decline a request, or change a member's role."""
    form = await read_form(request)
    action = form_text(form, "action")
    async with db(request) as session:
        user = await require_user(request, session)
        group = await get_group(session, request.path_params["slug"])
        member = await get_user(session, request.path_params["username"])
        if action in ("approve", "decline"):
            await members.require(session, group, user, "approve_members")
            await members.approve_member(session, group, member, action == "approve")
            if action == "approve":
                await news.member_approved(session, settings_of(request), group, member)
        elif action == "role":
            await members.require(session, group, user, "manage_roles")
            await members.set_role(session, group, member, form_text(form, "role"))
        else:
            raise InvalidInput(_("Unknown action."))
        audit(session, user, f"member.{action}", f"@{member.username}", f"group {group.slug}")
    flash(request, _("Done."), "success")
    return redirect(f"/groups/{group.slug}/members")


async def my_groups(request: Request) -> Response:
    """The groups the signed-in user belongs to."""
    async with db(request) as session:
        user = await require_user(request, session)
        rows = await groups_of_user(session, user)
        return await render(request, session, "my_groups.html", {"rows": rows}, user=user)


routes = [
    Route("/groups/new", new_group_page, methods=["GET"]),
    Route("/groups/new", new_group_submit, methods=["POST"]),
    Route("/groups/{slug}", group_page, methods=["GET"]),
    Route("/groups/{slug}/edit", edit_group_page, methods=["GET"]),
    Route("/groups/{slug}/edit", edit_group_submit, methods=["POST"]),
    Route("/groups/{slug}/delete", delete_group_submit, methods=["POST"]),
    Route("/groups/{slug}/join", join_submit, methods=["POST"]),
    Route("/groups/{slug}/leave", leave_submit, methods=["POST"]),
    Route("/groups/{slug}/members", members_page, methods=["GET"]),
    Route("/groups/{slug}/members/{username}", member_action, methods=["POST"]),
    Route("/me/groups", my_groups, methods=["GET"]),
]
