"""Proper nouns for the slots: people, places, organisations, teams and titles.

All made up, with a deliberate share of non-ASCII spellings (accents, ø, ł) and a few
ampersands, because real feeds are full of both.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Ana", "José", "Zoë", "Siobhán", "Øyvind", "Małgorzata", "François", "Amara", "Tomasz",
    "Priya", "Eilidh", "Mateus", "Hannah", "Kwame", "Ingrid", "Rafael", "Chloé", "Daniel",
    "Leila", "Fionn", "Margaret", "Yusuf", "Sofía", "Peter", "Aoife", "Jonas", "Nadia", "Callum",
)  # fmt: skip

LAST_NAMES = (
    "Ferreira", "Álvarez", "O'Donnell", "Nowak", "Nguyen", "Lindqvist", "Müller", "Okafor",
    "Brennan", "Castellanos", "Haddad", "Petrović", "MacLeod", "Dubois", "Sørensen", "Whitfield",
    "Achterberg", "Rahman", "Costa", "Pemberton", "Novak", "Ellison", "Kovács", "Ó Briain",
)  # fmt: skip

PLACES = (
    "Port Ellery", "Ashcombe", "Marlow Bay", "Kestrel Point", "Dunmore", "Saint-Rémy",
    "Greywater", "Hollins Cross", "Bryndale", "Castlereach", "Wexley", "Norbury Sands",
    "Ravensholm", "Calder Mills", "Fenwick",
)  # fmt: skip

REGIONS = (
    "the north-east", "the Western Isles", "the river valley", "the coastal counties",
    "the Midlands", "the southern uplands", "the capital region",
)  # fmt: skip

STREETS = (
    "Quay Street", "Harbour Road", "Chapel Lane", "Market Street", "Albion Terrace", "Mill Road",
    "Ropewalk", "St Anne's Row",
)  # fmt: skip

RIVERS = ("Lune", "Calder", "Wyre", "Sallow", "Ember")

COMPANIES = (
    "Northgate Systems", "Halcyon Foods", "Brightwater Energy", "Marlow & Finch",
    "Pellham Retail", "Quayside Bank", "Tessera Mobile", "Corvid Networks", "Alder Pharma",
)  # fmt: skip

PRODUCTS = (
    "the Nimbus 3 smart speaker", "a folding laptop called the Arc", "the Tessera X2 phone",
    "a home battery system", "a subscription gaming service",
)  # fmt: skip

TEAMS = (
    "Port Ellery Athletic", "Ashcombe United", "Kestrel Rovers", "Dunmore City",
    "Greywater Town", "Bryndale Wanderers", "Castlereach Albion",
)  # fmt: skip

VENUES = (
    "The Alhambra Theatre", "The Old Corn Exchange", "The Kestrel Point Gallery",
    "The Palace Cinema", "The Assembly Rooms",
)  # fmt: skip

WORKS = (
    "The Glass Orchard", "Salt & Iron", "A Winter in Saint-Rémy", "The Lighthouse Keepers",
    "Après la pluie", "The Quiet Tenant",
)  # fmt: skip

INSTITUTES = (
    "the University of Greywater", "the Kestrel Point Marine Laboratory",
    "the Institute of Coastal Science",
)  # fmt: skip

JOURNALS = (
    "Science Letters", "the European Review of Natural Sciences", "Nature & Environment Reports",
    "the Journal of Field Research",
)  # fmt: skip

MEDICAL_JOURNALS = ("the Northern Journal of Medicine", "Clinical Neurology Reports")

SPECIES = ("Atlantic puffin", "seagrass", "harbour porpoise", "kelp", "grey seal")

HOSPITALS = (
    "St Brendan's Hospital", "Ashcombe General Hospital", "Kestrel Point Royal Infirmary",
)  # fmt: skip

CONDITIONS = (
    "Parkinson's disease", "early-stage Alzheimer's disease", "multiple sclerosis",
    "motor neurone disease",
)  # fmt: skip

COUNCIL_KINDS = ("Borough Council", "Town Council", "District Council")
