"""The bodies of a write made of several requests: what a create, an update, a sub-resource and children send.

Why apart from :mod:`.kind`: a kind written by several requests (an integration: ``POST``,
``PUT …/config/current``, ``PATCH``; a prompt and its resources) cuts one full body into
each request's part; these rules read the kind's conventions only, and :class:`~.kind.Kind`
inherits them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.kinds.conventions import ChildCollection, SubResource
    from reconciler.kinds.spec import SpecModel


class WriteBodies:
    """The write-body rules of :class:`~.kind.Kind`, over the fields it declares."""

    if TYPE_CHECKING:
        name_field: str
        spec_model: type[SpecModel]
        sub_resource: SubResource | None
        children: ChildCollection | None
        create_fields: tuple[str, ...] | None
        update_fields: tuple[str, ...] | None
        unmanaged_when_absent: tuple[str, ...]
        update_method: str

        def item_path(self, object_id: str | None) -> str: ...

    @cached_property
    def _unmanaged_paths(self) -> tuple[tuple[str, ...], ...]:
        """The ``unmanaged_when_absent`` entries as paths: ``("programIds",)``, or a dotted one split
        (``("config", "current", "properties")``); one treatment for both."""
        return tuple(tuple(name.split(".")) for name in self.unmanaged_when_absent)

    @property
    def _named_sub(self) -> str | None:
        """The sub-resource's field that is the object's name (``SubResource.name_inner``), if any."""
        return self.sub_resource.name_inner if self.sub_resource is not None else None

    def create_body(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """What the ``POST`` sends of a full body: the name and the :attr:`create_fields`."""
        return self._restricted(body, self.create_fields)

    def update_body(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """What the update (``PUT`` or ``PATCH``) sends of a full body: the name and the :attr:`update_fields`.

        Not the name where the sub-resource carries it (``SubResource.name_inner``): CX as Code's
        ``updateIntegration`` and ``createIntegration`` (``genesyscloud/integration/
        resource_genesyscloud_integration.go``) ``PATCH`` an integration with ``IntendedState`` alone
        and name it through its configuration's ``PUT`` (:meth:`rename_sub`); the SDK's ``Integration``
        makes ``name`` optional (``intendedState`` is its one required field).
        """
        return self._restricted(body, self.update_fields, named=self._named_sub is None)

    def rename_sub(self, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """The sub-resource's body that renames the object when the full body has no sub-resource of its
        own: the name alone (``SubResource.name_inner``), every other field to be sent back as read
        (:meth:`sub_as_read`); ``None`` for a kind whose name is its own field, or a body with a sub-body
        (:meth:`sub_body` carries the name then). The write is sent only when the name differs."""
        named = self._named_sub
        if named is None or self.name_field not in body or self.sub_body(body) is not None:
            return None
        return {named: body[self.name_field]}

    @staticmethod
    def sub_as_read(live: Mapping[str, Any]) -> dict[str, Any]:
        """A sub-resource as read, less what only reads show (its ``id``, ``selfUri``, ``version``): what a
        ``PUT`` that changes nothing else sends back, as CX as Code's ``updateIntegrationConfigFromResourceData``
        sends the ``name``, ``notes``, ``properties``, ``advanced`` and ``credentials`` it read."""
        return {k: v for k, v in live.items() if k not in ("id", "selfUri", "version")}

    def needs_follow_up(self, body: Mapping[str, Any]) -> bool:
        """Whether a create must be followed by an update (fields the create does not take) or a sub-write."""
        if self.sub_resource is not None and self.sub_body(body) is not None:
            return True
        if self.child_body(body) is not None:
            return True
        return self.create_fields is not None and bool(set(self.update_body(body)) - set(self.create_body(body)))

    def sub_body(self, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """The sub-resource's body inside a full body (``config.current``), or ``None`` when absent;
        with the object's name where the sub-resource carries it (``SubResource.name_inner``)."""
        if self.sub_resource is None:
            return None
        outer = body.get(self.sub_resource.field)
        inner = outer.get(self.sub_resource.inner) if isinstance(outer, Mapping) else None
        if not isinstance(inner, Mapping):
            return None
        named = self._named_sub
        return {**inner, named: body[self.name_field]} if named is not None and self.name_field in body else dict(inner)

    def sub_keeping_live(self, sub: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
        """The sub-resource's body with each unmanaged field it leaves out set to ``live``'s value.

        ``live``: the sub-resource as read right before the write. Its ``PUT`` replaces the whole
        configuration, so a field the manifest does not manage is sent back as it is: CX as Code's
        ``updateIntegrationConfigFromResourceData`` (``genesyscloud/integration/
        resource_genesyscloud_integration_utils.go``) starts from ``GetIntegrationConfig`` and replaces
        ``properties``/``advanced`` only when they are set (both ``Optional``+``Computed`` in its schema).
        """
        out = dict(sub)
        if self.sub_resource is None:
            return out
        prefix = f"{self.sub_resource.field}.{self.sub_resource.inner}."
        for path in self.unmanaged_when_absent:
            name = path.removeprefix(prefix)
            if path.startswith(prefix) and name not in out and live.get(name) is not None:
                out[name] = live[name]
        return out

    def first_update_request(
        self, object_id: str | None, body: Mapping[str, Any] | None, *, renamed: bool = False
    ) -> tuple[str, str]:
        """Method and path of an update's first write request, as the audit's intent records it: the
        sub-resource's when the body has one (``SafeWrites.update`` writes it before the object, as CX
        as Code's ``updateIntegration`` writes the configuration before the ``PATCH``) or when ``renamed``
        and the sub-resource carries the name (:meth:`rename_sub`), else the object's."""
        sub = None if body is None else self.sub_body(body)
        if sub is None and body is not None and renamed:
            sub = self.rename_sub(body)
        if self.sub_resource is not None and sub is not None:
            return self.sub_resource.method, self.item_path(object_id) + self.sub_resource.path
        return self.update_method, self.item_path(object_id)

    def child_body(self, body: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """The children a full body asks for, or ``None`` when it leaves them unmanaged."""
        listed = body.get(self.children.field) if self.children is not None else None
        return [dict(c) for c in listed if isinstance(c, Mapping)] if isinstance(listed, list) else None

    @property
    def delete_params(self) -> dict[str, str]:
        """The query parameters every delete sends (a prompt's ``allResources=true``: its children go with it)."""
        param = self.children.delete_param if self.children is not None else None
        return dict([param]) if param is not None else {}

    @property
    def writes_apart(self) -> bool:
        """Whether a create or update body is cut down to what that request takes."""
        return self.create_fields is not None or self.sub_resource is not None or self.children is not None

    def _restricted(
        self, body: Mapping[str, Any], fields: tuple[str, ...] | None, *, named: bool = True
    ) -> dict[str, Any]:
        sub = {self.sub_resource.field} if self.sub_resource is not None else set()
        sub |= {self.children.field} if self.children is not None else set()
        sub |= set() if named else {self.name_field, "name"}
        keep = {self.name_field, "name", *(tuple(self.spec_model.model_fields) if fields is None else fields)} - sub
        return {k: v for k, v in body.items() if k in keep}


__all__ = ["WriteBodies"]
