"""The documentation model of data-model.md (HURIDOCS Events): who did what to whom.

    Event 1──* Act *──1 Person (victim)
               Act 1──* Involvement *──1 Person (perpetrator)
    Event 1──* Information *──0..1 Person (source)
    Event 1──* Intervention (by a party, for a victim)
    Event *──* Event via ChainLink

Everything that describes a violation is sealed (kalkan.vault.records): titles, stories,
dates, places, types of act, perpetrators, SOGIESC, sources, reliability. In the clear stay
only random ids, the day a record was made and the links between records (which act belongs
to which event), as security.md allows. Coded values are vocabulary codes
(kalkan.records.vocabularies) and gazetteer codes (kalkan.records.gazetteer), stored inside
the sealed JSON so that they never change meaning.

The records of one event live in the same compartment as the event when it was coded from a
restricted case: they are sealed with that case's key.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kalkan.intake.models import Report
from kalkan.vault.models import SealedRecord


class Person(SealedRecord):
    """An individual or a collective (family, group, organisation, community), in whatever
    roles the acts give them. The pseudonym is what pages show; real names and contacts are
    a separate sealed field shown only on request."""

    # profile: JSON {kind, age_band, sexual_orientation, gender_identity, gender_expression,
    # sex_characteristics (each {"code", "self_described"}), occupation, characteristics [],
    # hrd_role, organisation}; identity: JSON {names [], contacts [], notes}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("pseudonym", "identity", "profile")

    pseudonym = models.BinaryField(default=b"")
    identity = models.BinaryField(default=b"")
    profile = models.BinaryField(default=b"")
    # A person merged into another keeps its record (history); links point at the survivor.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"person {self.id}"


class Event(SealedRecord):
    # details: JSON {start, end (fuzzy dates), place {code, detail}, violation_status,
    # monitoring_status, legislation []}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("title", "description", "details")

    title = models.BinaryField(default=b"")
    description = models.BinaryField(default=b"")
    details = models.BinaryField(default=b"")
    reports = models.ManyToManyField(Report, blank=True, related_name="events")
    coded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"event {self.id}"


class Act(SealedRecord):
    """One act against one victim: the unit HURIDOCS counts."""

    # details: JSON {type, start, end, place {code, detail}, type_of_place, methods [],
    # stated_reason, consequences [], victim_characteristics [], rights [],
    # detention {...}, torture {...}, killing {...}, extortion {...}, digital {...}}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("details",)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="acts")
    victim = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="suffered")
    details = models.BinaryField(default=b"")
    # Act 1, 2, 3 of its event, in the order they were coded (revisions change on edits).
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "revision"]

    def __str__(self) -> str:
        return f"act {self.id}"


class Involvement(SealedRecord):
    # details: JSON {perpetrator_types [], degree, status_after, notes}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("details",)

    act = models.ForeignKey(Act, on_delete=models.CASCADE, related_name="involvements")
    perpetrator = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="committed")
    details = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"involvement {self.id}"


class Information(SealedRecord):
    """Where what we know about an event comes from, and how far to trust it."""

    # details: JSON {source_type, connection, reliability, date (fuzzy), language, notes}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("details",)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sources")
    source = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="informed"
    )
    details = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"information {self.id}"


class Intervention(SealedRecord):
    # details: JSON {party_type, type, date (fuzzy), response, impact, status, notes}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("details",)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="interventions")
    victim = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="helped"
    )
    party = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="intervened"
    )
    details = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"intervention {self.id}"


class ChainLink(SealedRecord):
    # details: JSON {relation, notes}; relations in the chain_relations vocabulary.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("details",)

    from_event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="links_out")
    to_event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="links_in")
    details = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"link {self.id}"


class ConsentEntry(SealedRecord):
    """One dated statement of a person's consent for one purpose: given or withdrawn, how,
    and (for referrals) to which partner. The newest entry per purpose decides; entries are
    never edited or deleted, so the ledger shows the whole history."""

    # details: JSON {purpose, given (bool), on (ISO date), how, partner (id or "")}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("details",)

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    details = models.BinaryField(default=b"")

    class Meta:
        ordering = ["revision"]

    def __str__(self) -> str:
        return f"consent {self.id}"


class EvidenceItem(SealedRecord):
    """A piece of evidence linked to events, acts, persons or sources: a file kept sealed
    (kalkan.vault.files) or a description of something held elsewhere. Its SHA-256 lives in
    the sealed metadata, never in the clear."""

    # meta: JSON {title, kind, name, content_type, size, sha256, description, held_by}.
    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("meta",)

    meta = models.BinaryField(default=b"")
    stored_file = models.CharField(max_length=64, blank=True)
    # An item that came in with a report keeps its intake record too.
    from_intake = models.OneToOneField(
        "intake.Evidence", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    events = models.ManyToManyField(Event, blank=True, related_name="evidence")
    acts = models.ManyToManyField(Act, blank=True, related_name="evidence")
    persons = models.ManyToManyField(Person, blank=True, related_name="evidence")
    sources = models.ManyToManyField(Information, blank=True, related_name="evidence")

    def __str__(self) -> str:
        return f"evidence item {self.id}"


class Custody(models.Model):
    """The chain of custody: who added, viewed, downloaded or exported an item, and when.
    Staff and times are plain here as in the audit log; what the item is stays sealed."""

    class Action(models.TextChoices):
        ADDED = "added", _("added")
        VIEWED = "viewed", _("viewed")
        DOWNLOADED = "downloaded", _("downloaded")
        EXPORTED = "exported", _("exported")
        LINKED = "linked", _("linked to a record")

    item = models.ForeignKey(EvidenceItem, on_delete=models.CASCADE, related_name="custody")
    action = models.CharField(max_length=12, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.item_id}"


class SavedSearch(SealedRecord):
    """A search someone wants to run again: its name and its query are sealed (a query can
    name a person or a place)."""

    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("name", "query")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.BinaryField(default=b"")
    query = models.BinaryField(default=b"")

    def __str__(self) -> str:
        return f"saved search {self.id}"


class LocalTerm(SealedRecord):
    """A term an administrator added to a vocabulary from the web. Its place in the tree is
    plain; its labels are sealed (a local term can say more than it should)."""

    SEALED_FIELDS: ClassVar[tuple[str, ...]] = ("labels",)

    vocabulary = models.CharField(max_length=64)
    # "x_" + random hex: never the same as a shipped code, now or later.
    code = models.CharField(max_length=64)
    parent = models.CharField(max_length=128, blank=True)
    labels = models.BinaryField(default=b"")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vocabulary", "code"], name="one_local_code"),
        ]

    def __str__(self) -> str:
        return f"{self.vocabulary}:{self.code}"


class RetiredTerm(models.Model):
    """A term (shipped or local) an administrator made inactive: records keep it, new
    records cannot choose it. Never deleted, so it can be made active again."""

    vocabulary = models.CharField(max_length=64)
    code = models.CharField(max_length=128)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vocabulary", "code"], name="one_retirement"),
        ]

    def __str__(self) -> str:
        return f"{self.vocabulary}:{self.code} (inactive)"


class SpentForm(models.Model):
    """A coding form that was saved once: the one-time token its page carried, and the
    address of what it made. The same form posted again (a double click, a reload, the back
    button) lands there instead of making the record twice (kalkan.records.once). Plain: a
    random token and a link to a record, like the other links between records; kept two
    days."""

    token = models.CharField(max_length=64, unique=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=300)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"form saved at {self.at}"


class ImportedArchive(models.Model):
    """A complete archive (kalkan.records.archive) imported here: its random id, so that the
    same archive is refused the second time rather than duplicating every record."""

    archive = models.CharField(max_length=64, unique=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"archive {self.archive} imported at {self.at}"
