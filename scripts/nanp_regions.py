#!/usr/bin/env python3
"""Writes src/rules/nanp_regions.rs: each geographic NANP area code and the state, province or
country it serves, for phone_holds' local-presence tiers (docs/guides/local-presence.md).

Source: the geocoding data and region metadata of the `phonenumbers` package (a Python port of
Google's libphonenumber, which updates them with each release). The version is pinned below and
recorded, with the date, in the file written, so a regenerated table says what it came from.

    python3 -m venv /tmp/nanp && /tmp/nanp/bin/pip install phonenumbers==9.0.43
    /tmp/nanp/bin/python scripts/nanp_regions.py > src/rules/nanp_regions.rs

How a region is chosen for an area code (NPA):
  * the NANP country from the package's region metadata (the first of US, CA, PR, JM, ... whose
    number patterns accept numbers of the NPA);
  * in the US and Canada, the state or province: the package's description of the 4-digit
    prefix 1NPA ("California", or "New York, NY"), else the state most of its longer prefixes
    name ("Houston, TX");
  * elsewhere (Puerto Rico, Jamaica, the Bahamas, ...), the country itself.
Area codes with no region (toll-free 8XX, 5XX, 600, 700, 900, unassigned) are left out: they
match only themselves, never a state.
"""
import collections
import datetime
import re
import sys

import phonenumbers
from phonenumbers import geocoder, geodata

PINNED = "9.0.43"

# The package's names for states, provinces and the regions two or three of them share.
NAMES = {
    "Alabama": "US-AL", "Alaska": "US-AK", "Arizona": "US-AZ", "Arkansas": "US-AR",
    "California": "US-CA", "Colorado": "US-CO", "Connecticut": "US-CT", "Delaware": "US-DE",
    "Florida": "US-FL", "Georgia": "US-GA", "Hawaii": "US-HI", "Idaho": "US-ID",
    "Illinois": "US-IL", "Indiana": "US-IN", "Iowa": "US-IA", "Kansas": "US-KS",
    "Kentucky": "US-KY", "Louisiana": "US-LA", "Maine": "US-ME", "Maryland": "US-MD",
    "Massachusetts": "US-MA", "Michigan": "US-MI", "Minnesota": "US-MN", "Mississippi": "US-MS",
    "Missouri": "US-MO", "Montana": "US-MT", "Nebraska": "US-NE", "Nevada": "US-NV",
    "New Hampshire": "US-NH", "New Jersey": "US-NJ", "New Mexico": "US-NM", "New York": "US-NY",
    "North Carolina": "US-NC", "North Dakota": "US-ND", "Ohio": "US-OH", "Oklahoma": "US-OK",
    "Oregon": "US-OR", "Pennsylvania": "US-PA", "Rhode Island": "US-RI",
    "South Carolina": "US-SC", "South Dakota": "US-SD", "Tennessee": "US-TN", "Texas": "US-TX",
    "Utah": "US-UT", "Vermont": "US-VT", "Virginia": "US-VA", "Washington State": "US-WA",
    "Washington D.C.": "US-DC", "West Virginia": "US-WV", "Wisconsin": "US-WI", "Wyoming": "US-WY",
    "Alberta": "CA-AB", "British Columbia": "CA-BC", "British Colombia": "CA-BC",
    "Manitoba": "CA-MB", "New Brunswick": "CA-NB", "Newfoundland and Labrador": "CA-NL",
    "Ontario": "CA-ON", "Quebec": "CA-QC", "Saskatchewan": "CA-SK",
    "Nova Scotia/Prince Edward Island": "CA-NS/PE",
    "Northwest Territories/Nunavut/Yukon": "CA-NT/NU/YT",
}
# How the region is written in the monitoring views.
TITLES = {code: name for name, code in NAMES.items() if name != "British Colombia"}
TITLES["US-WA"] = "Washington"
TITLES["US-DC"] = "District of Columbia"
SUFFIX = re.compile(r", ([A-Z]{2})$")


def state_of(description, country):
    """The state or province a geocoding description names, if any."""
    if description in NAMES and NAMES[description].startswith(country + "-"):
        return NAMES[description]
    m = SUFFIX.search(description or "")
    if m and f"{country}-{m.group(1)}" in TITLES:
        return f"{country}-{m.group(1)}"
    return None


def country_of(npa):
    """The NANP region whose metadata accepts the most sample numbers of this area code."""
    votes = collections.Counter()
    for exchange in range(200, 1000, 7):
        number = phonenumbers.parse(f"+1{npa}{exchange}4567")
        region = phonenumbers.region_code_for_number(number)
        if region and phonenumbers.is_valid_number_for_region(number, region):
            votes[region] += 1
    return votes.most_common(1)[0][0] if votes else None


def main():
    if phonenumbers.__version__ != PINNED:
        sys.exit(f"phonenumbers {phonenumbers.__version__} is installed; this table is made from {PINNED} (edit PINNED to move on)")
    data = geodata.GEOCODE_DATA
    rows = []
    for npa in range(200, 1000):
        country = country_of(npa)
        if country is None:
            continue
        if country in ("US", "CA"):
            own = data.get(f"1{npa}", {}).get("en")
            region = state_of(own, country) if own else None
            if region is None:
                votes = collections.Counter(
                    state_of(v.get("en"), country) for k, v in data.items() if k.startswith(f"1{npa}") and len(k) > 4)
                votes.pop(None, None)
                region = votes.most_common(1)[0][0] if votes else None
            if region is None:
                continue
            title = TITLES[region]
        else:
            region = country
            title = geocoder.country_name_for_number(phonenumbers.example_number(country), "en") or country
        rows.append((npa, region, title))

    out = sys.stdout
    out.write("// @generated by scripts/nanp_regions.py: do not edit; regenerate (see the script).\n")
    out.write(f"// Source: phonenumbers {phonenumbers.__version__} (libphonenumber's geocoding data and region metadata),\n")
    out.write(f"// generated {datetime.date.today().isoformat()}.\n\n")
    out.write("/// The phonenumbers release the table was made from.\n")
    out.write(f"pub const SOURCE: &str = \"phonenumbers {phonenumbers.__version__}, generated {datetime.date.today().isoformat()}\";\n\n")
    out.write("/// (area code, region, region's name), by area code. A region is `US-XX` or `CA-XX` (ISO 3166-2,\n")
    out.write("/// shared regions as `CA-NS/PE`), or the ISO 3166-1 country for the rest of the NANP.\n")
    out.write("pub const AREA_CODES: &[(u16, &str, &str)] = &[\n")
    for npa, region, title in rows:
        out.write(f"    ({npa}, \"{region}\", \"{title}\"),\n")
    out.write("];\n")


if __name__ == "__main__":
    main()
