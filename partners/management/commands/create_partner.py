"""`manage.py create_partner NAME --scopes read,submit [--email E]`: prints the new API key once."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from partners.services import PartnerError, partner_create


class Command(BaseCommand):
    help = "Create a partner organisation with a first API key, and print the key (it is shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--scopes", default="read", help="comma-separated: read,submit (default: read)")
        parser.add_argument("--email", default="", help="a contact address at the partner")

    def handle(self, *args, **options) -> None:
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        try:
            partner, api_key, raw_key = partner_create(
                name=options["name"], scopes=scopes, contact_email=options["email"]
            )
        except PartnerError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"Created partner {partner.name!r} (id {partner.pk}) with a key for {', '.join(api_key.scopes)}. "
            "The key is shown once; store it now:"
        )
        # Only the key on stdout, so `KEY=$(manage.py create_partner ...)` works.
        self.stdout.write(raw_key)
