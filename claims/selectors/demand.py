"""Demand: how many articles, and how many distinct partners, carried a claim or a confirmed duplicate
of it. Partners count by the opaque label claims keep ("partner:<id>"): the articles they submitted
(`Article.submitted_via`) and the requests they made that the claim answered ("requested" events)."""

from django.db.models import IntegerField, QuerySet
from django.db.models.expressions import RawSQL

from ..models import Claim

# The claim itself and the claims a person (or the machine, above AUTO_LINK) confirmed as the same.
_SAME = (
    "(SELECT claims_claim.id UNION SELECT l.other_id FROM claims_claimlink l "
    "WHERE l.claim_id = claims_claim.id AND l.state = 'confirmed')"
)
DEMAND_ARTICLES = f"SELECT count(DISTINCT c2.article_id) FROM claims_claim c2 WHERE c2.id IN {_SAME}"
DEMAND_PARTNERS = (
    "SELECT count(DISTINCT who) FROM ("
    "SELECT a.submitted_via AS who FROM claims_claim c2 JOIN claims_article a ON a.id = c2.article_id "
    f"WHERE c2.id IN {_SAME} AND a.submitted_via <> '' "
    "UNION ALL SELECT e.actor_label FROM claims_claimevent e "
    f"WHERE e.kind = 'requested' AND e.claim_id IN {_SAME}) AS senders"
)


def with_demand(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """Annotate `demand_articles` and `demand_partners` (in the same query: no query per row). The SQL
    names the outer table `claims_claim`, as Django does when the queryset has no self-join."""
    return claims.annotate(
        demand_articles=RawSQL(DEMAND_ARTICLES, [], output_field=IntegerField()),
        demand_partners=RawSQL(DEMAND_PARTNERS, [], output_field=IntegerField()),
    )
