"""A believable demo organisation on the Product Management ladder, for trying the app."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from assessments import evidence, reviews, services
from assessments.models import Employee, Evidence, Review
from levels import services as ladder_services
from levels.models import Expectation

DEMO_PASSWORD = "demo-ladder-2026"
DOMAIN = "example.com"

# (sign-in, full name, job title, manager's sign-in, track, [(level, months ago), ...]).
# The level list is the person's history, oldest first; the last one is current.
ORG = [
    ("morgan", "Morgan Achebe", "Chief Product Officer", None, "management", [("vp", 40), ("cpo", 14)]),
    ("sam", "Sam Rivera", "VP of Product", "morgan", "management", [("director", 30), ("vp", 9)]),
    ("noor", "Noor Haddad", "Distinguished Product Manager", "morgan", "ic", [("principal-pm", 36), ("distinguished-pm", 11)]),
    ("director", "Alex Chen", "Director of Product, Growth", "sam", "management", [("pm-manager", 28), ("director", 10)]),
    ("taylor", "Taylor Brooks", "Director of Product, Platform", "sam", "management", [("director", 20)]),
    ("kenji", "Kenji Watanabe", "Staff Product Manager", "sam", "ic", [("senior-pm", 30), ("staff-pm", 8)]),
    ("manager", "Jordan Patel", "Product Manager Manager, Onboarding", "director", "management", [("senior-pm", 26), ("pm-manager", 11)]),
    ("casey", "Casey Kim", "Product Manager Manager, Payments", "director", "management", [("pm-manager", 18)]),
    ("ines", "Inês Carvalho", "Senior Product Manager, Pricing", "director", "ic", [("pm", 30), ("senior-pm", 7)]),
    ("dana", "Dana Okafor", "Product Manager Manager, APIs", "taylor", "management", [("pm-manager", 15)]),
    ("lars", "Lars Nilsson", "Product Manager Manager, Data", "taylor", "management", [("senior-pm", 24), ("pm-manager", 5)]),
    ("amara", "Amara Singh", "Principal Product Manager", "taylor", "ic", [("staff-pm", 26), ("principal-pm", 10)]),
    ("ruth", "Ruth Mendel", "Staff Product Manager", "taylor", "ic", [("staff-pm", 16)]),
    # Jordan's team (the demo manager).
    ("pm", "Priya Shah", "Product Manager, Sign-up", "manager", "ic", [("apm", 26), ("pm", 11)]),
    ("tom", "Tom Becker", "Senior Product Manager, Activation", "manager", "ic", [("pm", 22), ("senior-pm", 6)]),
    ("lea", "Léa Dubois", "Product Manager, Identity", "manager", "ic", [("pm", 14)]),
    ("omar", "Omar Farouk", "Associate Product Manager", "manager", "ic", [("apm", 8)]),
    ("grace", "Grace Liu", "Associate Product Manager", "manager", "ic", [("apm", 3)]),
    ("mateo", "Mateo Ruiz", "Product Manager, Lifecycle", "manager", "ic", [("apm", 20), ("pm", 4)]),
    # Casey's team.
    ("hana", "Hana Yoshida", "Senior Product Manager, Checkout", "casey", "ic", [("senior-pm", 19)]),
    ("ben", "Ben Adeyemi", "Product Manager, Billing", "casey", "ic", [("pm", 12)]),
    ("sofia", "Sofia Rossi", "Product Manager, Fraud", "casey", "ic", [("apm", 30), ("pm", 10)]),
    ("kwame", "Kwame Mensah", "Associate Product Manager", "casey", "ic", [("apm", 6)]),
    ("elin", "Elin Berg", "Product Manager, Payouts", "casey", "ic", [("pm", 9)]),
    ("raj", "Raj Malhotra", "Senior Product Manager, Risk", "casey", "ic", [("pm", 34), ("senior-pm", 12)]),
    # Dana's team.
    ("zoe", "Zoe Martin", "Senior Product Manager, Public API", "dana", "ic", [("senior-pm", 13)]),
    ("yusuf", "Yusuf Demir", "Product Manager, SDKs", "dana", "ic", [("pm", 16)]),
    ("mia", "Mia Schneider", "Product Manager, Webhooks", "dana", "ic", [("apm", 18), ("pm", 5)]),
    ("leo", "Leo Novak", "Associate Product Manager", "dana", "ic", [("apm", 11)]),
    ("aisha", "Aisha Bello", "Senior Product Manager, Developer Experience", "dana", "ic", [("senior-pm", 25)]),
    # Lars's team.
    ("freya", "Freya Hansen", "Senior Product Manager, Analytics", "lars", "ic", [("pm", 20), ("senior-pm", 3)]),
    ("diego", "Diego Alvarez", "Product Manager, Reporting", "lars", "ic", [("pm", 7)]),
    ("chloe", "Chloé Laurent", "Product Manager, Data Platform", "lars", "ic", [("pm", 15)]),
    ("ivan", "Ivan Petrov", "Associate Product Manager", "lars", "ic", [("apm", 2)]),
    ("nina", "Nina Kowalski", "Product Manager, Experimentation", "lars", "ic", [("apm", 27), ("pm", 12)]),
    # Individual contributors reporting to directors.
    ("oscar", "Oscar Lindqvist", "Senior Product Manager, Mobile", "director", "ic", [("senior-pm", 10)]),
    ("maya", "Maya Cohen", "Product Manager, Search", "taylor", "ic", [("pm", 5)]),
    ("felix", "Felix Wagner", "Staff Product Manager, Infrastructure", "director", "ic", [("senior-pm", 28), ("staff-pm", 2)]),
]  # fmt: skip

SIGN_INS = [
    ("hr", "HR: sees everyone, edits the ladder in the admin"),
    ("director", "Alex Chen, Director over two PM Managers and their teams"),
    ("manager", "Jordan Patel, PM Manager with six reports"),
    ("pm", "Priya Shah, Product Manager on Jordan's team"),
]


def months_ago(months, today):
    return today - datetime.timedelta(days=round(months * 30.4))


class Command(BaseCommand):
    help = "Create a demo organisation with demo sign-ins (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates known passwords; it runs only with DEBUG=1.")
        ladder = ladder_services.load_default_ladder().ladder
        with transaction.atomic():
            created = self.create_org(ladder)
            self.create_hr()
        if created:
            self.stdout.write(
                self.style.SUCCESS(f"Created a demo organisation of {len(ORG)} people.")
            )
        else:
            self.stdout.write("The demo organisation is already there.")
        self.stdout.write(self.style.SUCCESS("Demo sign-ins (development only):"))
        for username, who in SIGN_INS:
            self.stdout.write(f"  {username:<8} password {DEMO_PASSWORD}  ({who})")

    def user(self, username, full_name, **extra):
        first, _, last = full_name.partition(" ")
        user, _ = get_user_model().objects.update_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@{DOMAIN}",
                **extra,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        return user

    def create_hr(self):
        hr = self.user("hr", "Hilde Romero", is_staff=True)
        hr.groups.add(services.ensure_hr_group())

    def create_org(self, ladder):
        if Employee.objects.filter(email=f"morgan@{DOMAIN}").exists():
            for username, full_name, *_ in ORG:
                self.user(username, full_name)
            return False
        today = timezone.localdate()
        levels = {level.key: level for level in ladder.levels.all()}
        tracks = {track.key: track for track in ladder.tracks.all()}
        people = {}
        for username, full_name, title, manager, track_key, history in ORG:
            track = tracks[track_key]
            (first_level, first_months), *later = history
            employee = services.place_employee(
                full_name=full_name,
                email=f"{username}@{DOMAIN}",
                ladder=ladder,
                track=track,
                level=levels[first_level],
                effective_on=months_ago(first_months, today),
                job_title=title,
                manager=people.get(manager),
                user=self.user(username, full_name),
            )
            for level_key, months in later:
                self.assign(employee, levels[level_key], track, months_ago(months, today), people)
            people[username] = employee
        self.create_evidence(people, today)
        return True

    def create_evidence(self, people, today):
        """Evidence about Jordan's team, over the last eight months: some against the
        current level, some against the next, a growth note shared with Priya (what to
        work on), a private note (a concern, for her managers) and one win to confirm."""
        manager = people["manager"].user
        notes = [
            "Shipped the redesigned sign-up flow; completion rose from 61% to 74%.",
            "Ran the quarterly planning for the squad and kept scope to what shipped.",
            "Wrote the pricing-page PRD; engineering started with no open questions.",
            "Presented the activation results to the leadership team, clearly and briefly.",
            "Coached Omar through his first user-research round.",
            "Untangled the dependency on the payments team before it blocked the launch.",
        ]
        for offset, username in enumerate(["pm", "tom", "lea", "omar", "grace", "mateo"]):
            person = people[username]
            expectations = list(
                Expectation.objects.active()
                .filter(level=person.level)
                .order_by("category__position", "position")
            )
            for n in range(2 + offset % 3):
                evidence.record_evidence(
                    employee=person,
                    expectation=expectations[(n * 4 + offset) % len(expectations)],
                    by=manager,
                    observed_on=today - datetime.timedelta(days=20 + n * 65 + offset * 3),
                    description=notes[(n + offset) % len(notes)],
                    visibility=Evidence.Visibility.SHARED,
                )
        priya = people["pm"]
        evidence.record_evidence(
            employee=priya,
            expectation=Expectation.objects.filter(
                level__key="senior-pm", level__ladder=priya.ladder
            )
            .order_by("category__position", "position")
            .first(),
            by=manager,
            observed_on=today - datetime.timedelta(days=40),
            description="Drafted the multi-quarter roadmap for sign-up; already thinking like a Senior PM.",
            visibility=Evidence.Visibility.SHARED,
        )
        current = list(
            Expectation.objects.active()
            .filter(level=priya.level)
            .order_by("category__position", "position")
        )
        stakeholders = next((e for e in current if "stakeholder" in e.text.lower()), current[-1])
        evidence.record_evidence(
            employee=priya,
            expectation=stakeholders,
            by=manager,
            observed_on=today - datetime.timedelta(days=12),
            description="Private: needs support on stakeholder updates before a promotion case.",
            visibility=Evidence.Visibility.PRIVATE,
            kind=Evidence.Kind.GROWTH,
        )
        evidence.record_evidence(
            employee=priya,
            expectation=stakeholders,
            by=manager,
            observed_on=today - datetime.timedelta(days=9),
            description="Stakeholder updates reach the payments team after decisions are made. "
            "Next: a short written update every Thursday, before the weekly review.",
            visibility=Evidence.Visibility.SHARED,
            kind=Evidence.Kind.GROWTH,
        )
        self.create_review(people["tom"], manager)
        evidence.log_win(
            employee=priya,
            expectation=Expectation.objects.filter(level=priya.level).order_by("position").first(),
            by=priya.user,
            observed_on=today - datetime.timedelta(days=2),
            description="Led the sign-up A/B test end to end and presented the results.",
        )

    def create_review(self, person, manager):
        """A shared review of Tom against his current level, for him to acknowledge."""
        review = reviews.start_review(employee=person, target_level=person.level, by=manager)
        scale = ["meets", "meets", "exceeds", "developing"]
        ratings = {
            rating.pk: (scale[n % len(scale)], "Seen in the activation work this half.")
            for n, rating in enumerate(review.ratings.all())
        }
        review = reviews.save_review(
            review=review,
            ratings=ratings,
            readiness=Review.Readiness.DEVELOPING,
            summary="Tom works at Senior PM level on activation. Next: set direction beyond "
            "his own squad and bring stakeholders along earlier.",
            version=review.version,
            by=manager,
        )
        reviews.share_review(review=review, by=manager)

    def assign(self, employee, level, track, effective_on, people):
        manager = employee.manager
        services.assign_level(
            employee=employee,
            level=level,
            track=track,
            effective_on=effective_on,
            by=manager.user if manager else None,
            rationale="Consistently working at the next level; promoted at the review cycle.",
        )
