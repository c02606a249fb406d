"""Word tables the rule-based classifier reads: seller shorthand, synonyms, cue words and markers.

Every table applies to both sides: taxonomy names are normalised with the same rewrites and synonyms as
incoming segment text, so a canonical word only has to be chosen once.
"""

from __future__ import annotations

from typing import Final

from connections.domain.classification import DEMOGRAPHIC, INTEREST, PURCHASE_INTENT

# Multi-word rewrites, applied to lowercased text whose punctuation has become single spaces.
# Longer phrases win over shorter ones that start at the same place.
PHRASE_REWRITES: Final[dict[str, str]] = {
    # seller shorthand for purchase intent
    "in market": "inmarket",
    "in the market": "inmarket",
    "in market for": "inmarket",
    "likely to buy": "inmarket",
    "planning to buy": "inmarket",
    "plan to buy": "inmarket",
    "shopping for": "inmarket",
    # household / demographic shorthand
    "hh": "household",
    "home owner": "homeowner",
    "home owners": "homeowner",
    "first time home buyer": "first time homeowner",
    "first time home buyers": "first time homeowner",
    "first time homebuyer": "first time homeowner",
    "first time homebuyers": "first time homeowner",
    "home buyer": "residential real estate buyer",
    "home buyers": "residential real estate buyer",
    "homebuyer": "residential real estate buyer",
    "homebuyers": "residential real estate buyer",
    "new home": "residential real estate",
    "new homes": "residential real estate",
    "home purchase": "residential real estate",
    "empty nester": "empty nest",
    "empty nesters": "empty nest",
    "blue collar": "skilled manual work",
    "stay at home mom": "homemaker",
    "stay at home moms": "homemaker",
    "stay at home dad": "homemaker",
    "stay at home dads": "homemaker",
    "stay at home parent": "homemaker",
    "stay at home parents": "homemaker",
    "job seeker": "unemployed job seeker",
    "job seekers": "unemployed job seeker",
    "bachelor degree": "undergraduate education",
    "bachelors degree": "undergraduate education",
    "college graduate": "undergraduate education",
    "college graduates": "undergraduate education",
    "college educated": "undergraduate education",
    "graduate degree": "postgraduate education",
    "graduate degrees": "postgraduate education",
    "master degree": "postgraduate education",
    "masters degree": "postgraduate education",
    "postgraduate degree": "postgraduate education",
    "high school": "secondary education",
    "affluent": "high net worth",
    "wealthy": "high net worth",
    "hnw": "high net worth",
    "uhnw": "super high net worth",
    "ultra high net worth": "super high net worth",
    "spanish speaker": "language",
    "spanish speakers": "language",
    "spanish speaking": "language",
    "spanish language": "language",
    "bilingual": "language",
    "mother day": "holiday",
    "father day": "holiday",
    # automotive
    "pre owned": "preowned",
    "certified pre owned": "preowned",
    "sport utility": "suv",
    "sport utility vehicle": "suv",
    "sport utility vehicles": "suv",
    "electric vehicle": "green auto",
    "electric vehicles": "green auto",
    "electric car": "green auto",
    "electric cars": "green auto",
    # travel and leisure
    "fantasy football": "fantasy sport",
    "fantasy baseball": "fantasy sport",
    "fantasy basketball": "fantasy sport",
    "fantasy hockey": "fantasy sport",
    "formula 1": "auto racing",
    "formula one": "auto racing",
    "bird watching": "birdwatching",
    "bird watchers": "birdwatching",
    "hip hop": "hiphop",
    "r and b": "rnb",
    "sci fi": "scifi",
    "science fiction": "scifi",
    "e sports": "esports",
    "do it yourself": "home improvement",
    "4k tv": "tv electronics",
    "4k tvs": "tv electronics",
    "hd tv": "tv electronics",
    "smart tv": "tv electronics",
    "smart tvs": "tv electronics",
    "flat screen": "tv electronics",
    "craft beer": "alcoholic beverage",
    # money
    "credit score": "credit reporting",
    "student loan": "student financial aid",
    "student loans": "student financial aid",
    "checking account": "banking",
    "checking accounts": "banking",
    "savings account": "banking",
    "health insurance": "medical insurance",
    "bargain hunter": "frugal living",
    "bargain hunters": "frugal living",
    "deal seeker": "frugal living",
    "deal seekers": "frugal living",
    "coupon clipper": "frugal living",
    "coupon clippers": "frugal living",
    "value shopper": "frugal living",
    "value shoppers": "frugal living",
    "online degree": "online education",
    "online degrees": "online education",
    # business
    "c suite": "csuite",
    "c level": "csuite",
    "human resource": "human resources",
    "hr": "human resources",
    "business i t": "business itech",
    "decision maker": "decisionmaker",
    "decision makers": "decisionmaker",
}

# Brands and retailers: the brand is replaced by what it sells, so "Home Depot Shoppers" reads as
# "hardware supplies shoppers". Only unambiguous names; a word like "target" is left alone.
BRANDS: Final[dict[str, str]] = {
    # vehicles
    "toyota": "auto", "honda": "auto", "ford": "auto", "chevrolet": "auto", "chevy": "auto",
    "nissan": "auto", "hyundai": "auto", "kia": "auto", "subaru": "auto", "jeep": "auto",
    "volkswagen": "auto", "vw": "auto", "mazda": "auto", "dodge": "auto", "gmc": "auto",
    "chrysler": "auto", "buick": "auto", "mitsubishi": "auto",
    "bmw": "luxury auto", "mercedes": "luxury auto", "mercedes benz": "luxury auto", "audi": "luxury auto",
    "lexus": "luxury auto", "porsche": "luxury auto", "cadillac": "luxury auto", "infiniti": "luxury auto",
    "acura": "luxury auto", "jaguar": "luxury auto", "land rover": "luxury auto", "maserati": "luxury auto",
    "tesla": "green auto", "rivian": "green auto",
    "harley davidson": "motorcycle", "harley": "motorcycle",
    # retail
    "walmart": "department store", "costco": "department store", "sam club": "department store",
    "macy": "department store", "macys": "department store", "nordstrom": "department store",
    "kohl": "department store", "kohls": "department store", "jcpenney": "department store",
    "kroger": "grocery store", "safeway": "grocery store", "publix": "grocery store",
    "whole foods": "grocery store", "trader joe": "grocery store", "aldi": "grocery store",
    "home depot": "hardware supplies", "lowe": "hardware supplies", "lowes": "hardware supplies",
    "best buy": "consumer electronics",
    "sephora": "cosmetics", "ulta": "cosmetics",
    "petsmart": "pet store", "petco": "pet store", "chewy": "pet supplies",
    "ikea": "furniture", "wayfair": "furniture",
    "starbucks": "coffee", "dunkin": "coffee",
    "mcdonald": "fast food", "mcdonalds": "fast food", "burger king": "fast food", "wendy": "fast food",
    "taco bell": "fast food", "kfc": "fast food", "chipotle": "fast food",
    "nike": "sportswear", "adidas": "sportswear", "under armour": "sportswear", "lululemon": "sportswear",
    "marriott": "hotel", "hilton": "hotel", "hyatt": "hotel", "airbnb": "vacation rental",
    "expedia": "online travel", "booking com": "online travel",
    "delta airlines": "air travel", "united airlines": "air travel", "american airlines": "air travel",
    "southwest airlines": "air travel", "jetblue": "air travel",
    "netflix": "video streaming", "hulu": "video streaming", "disney plus": "video streaming",
    "spotify": "music streaming",
    "iphone": "mobile phone", "android": "mobile phone", "galaxy phone": "mobile phone",
    "ipad": "tablet", "macbook": "laptop",
    "xbox": "video game console", "playstation": "video game console", "nintendo": "video game console",
    "verizon": "mobile phone plan", "t mobile": "mobile phone plan", "at and t": "mobile phone plan",
    "peloton": "exercise equipment",
}

# Single-word synonyms to one canonical form (after plural stripping). A value may hold several words.
TOKEN_SYNONYMS: Final[dict[str, str]] = {
    # vehicles
    "autos": "auto", "automotive": "auto", "automobile": "auto", "car": "auto", "vehicle": "auto",
    "used": "preowned", "motorbike": "motorcycle", "hybrid": "green", "ev": "green auto",
    "pickup": "pickup", "tyre": "tire",
    # people and households
    "men": "male", "man": "male", "guy": "male", "women": "female", "woman": "female", "lady": "female",
    "ladie": "female", "mom": "parent", "mother": "parent", "dad": "parent", "father": "parent",
    "parenting": "parent", "kid": "child", "children": "child", "childrens": "child",
    "teenager": "teen", "tween": "child", "infant": "baby", "newborn": "baby",
    "grandparenting": "grandparent", "retiree": "retired", "retirement": "retirement",
    "renting": "rent",
    # travel
    "traveler": "travel", "traveller": "travel", "vacationer": "travel", "vacation": "travel",
    "flight": "air travel", "airline": "air travel", "flyer": "air travel",
    "european": "europe", "asian": "asia", "african": "africa",
    "timeshare": "timeshare", "cruiser": "cruise",
    # sport
    "nfl": "american football", "nba": "basketball", "mlb": "baseball", "nhl": "ice hockey",
    "nascar": "auto racing", "pga": "golf", "mma": "martial arts", "ufc": "martial arts",
    "wwe": "wrestling", "mls": "soccer", "golfer": "golf", "skier": "skiing", "snowboarder": "snowboarding",
    "runner": "running", "jogger": "jogging", "cyclist": "cycling", "biker": "cycling", "biking": "cycling",
    "bike": "cycling", "bicycle": "cycling", "hunter": "hunting", "angler": "fishing",
    "fisherman": "fishing", "fishermen": "fishing", "swimmer": "swimming", "boxer": "boxing",
    "surfer": "surfing", "climber": "climbing", "skater": "skating", "gear": "equipment",
    "gamer": "game", "gaming": "game", "videogame": "video game", "gym": "gym",
    # media
    "film": "movie", "moviegoer": "movie", "television": "tv", "rap": "hiphop",
    "reader": "book", "novel": "novel", "podcast": "podcast",
    # food
    "foodie": "food", "wine": "alcoholic beverage", "beer": "alcoholic beverage",
    "spirit": "alcoholic beverage", "liquor": "alcoholic beverage", "whiskey": "alcoholic beverage",
    "alcohol": "alcoholic", "cook": "cooking", "chef": "cooking", "bbq": "barbecue",
    "barbeque": "barbecue", "grill": "grilling", "diner": "dining", "grocery": "grocery",
    "groceries": "grocery", "veggie": "vegetarian",
    # home
    "diy": "home improvement", "diyer": "home improvement", "decor": "decorating",
    "gardening": "garden", "gardener": "garden", "mattress": "bed", "mattresse": "bed",
    "couch": "sofa", "refinance": "mortgage", "refi": "mortgage",
    # money
    "investor": "investing", "investment": "investing", "invest": "investing",
    "donor": "charity", "donation": "charity", "charitable": "charity", "charitie": "charity",
    "insurer": "insurance",
    # technology
    "tech": "technology", "smartphone": "mobile phone", "cellphone": "mobile phone", "cell": "mobile",
    "notebook": "laptop", "photographer": "photography", "antivirus": "antivirus",
    # style and health
    "fashionista": "fashion", "apparel": "clothing", "clothe": "clothing", "clothes": "clothing",
    "jewellery": "jewelry", "makeup": "cosmetics", "cosmetic": "cosmetics", "healthy": "health",
    "dieter": "weight loss", "dieting": "weight loss", "vitamin": "supplement", "dentist": "dental",
    "vet": "veterinary", "veterinarian": "veterinary",
    # pets
    "puppy": "dog", "puppie": "dog", "kitten": "cat", "equestrian": "horse", "equine": "horse",
    # hobbies, causes, politics
    "crafter": "craft", "crafting": "craft", "collector": "collecting", "birder": "birdwatching",
    "birdwatcher": "birdwatching", "conservative": "politics", "liberal": "politics",
    "democrat": "politics", "republican": "politics", "political": "politics", "voter": "elections",
    "entrepreneur": "startup", "founder": "startup", "farmer": "agriculture", "farming": "agriculture",
    "musician": "musical instrument", "engaged": "wedding",
}

# Plural forms that the suffix rules would get wrong.
IRREGULAR_STEMS: Final[dict[str, str]] = {
    "movies": "movie", "cookies": "cookie", "pies": "pie", "foodies": "foodie", "indies": "indie",
    "brownies": "brownie", "smoothies": "smoothie", "techies": "techie", "rookies": "rookie",
    "zombies": "zombie", "news": "news", "gas": "gas", "series": "series", "species": "species",
    "bus": "bus", "plus": "plus", "billiards": "billiards", "glasses": "glasses", "sunglasses": "sunglasses",
    "athletics": "athletics", "economics": "economics", "politics": "politics", "electronics": "electronics",
    "physics": "physics", "genetics": "genetics", "statistics": "statistics", "graphics": "graphics",
    "esports": "esports", "cosmetics": "cosmetics", "aerobics": "aerobics", "mathematics": "mathematics",
    "ethics": "ethics", "logistics": "logistics", "robotics": "robotics", "bioinformatics": "bioinformatics",
    "mens": "male", "womens": "female", "toys": "toy", "boys": "boy", "days": "day", "keys": "key",
}

# Words that carry no topic: function words and the nouns sellers append to any audience.
STOPWORDS: Final[frozenset[str]] = frozenset(
    """a an and or of the for with in on to at by from who that are is be their them those these this
    into over under via per vs etc not no non all any other others general misc miscellaneous out up
    people person individual consumer customer user owner audience segment group member subscriber
    frequent heavy light active recent recently likely top total current past next
    visitor goer planner player drinker eater seeker borrower upgrader switcher dweller resident
    household data aged level based couple lifestyle lifestyles decisionmaker
    """.split()
)

# Words that say which tier 1 a seller means. They steer the choice and are not matched as topics.
TIER1_CUES: Final[dict[str, str]] = {
    **dict.fromkeys(
        """inmarket intender intent intending purchaser purchase purchasing buyer buy buying shopper
        shopping prospect pi""".split(),
        PURCHASE_INTENT,
    ),
    **dict.fromkeys(
        """enthusiast fan lover aficionado buff interest interested affinity viewer watcher listener
        follower hobbyist devotee junkie junky fanatic avid int passion""".split(),
        INTEREST,
    ),
    **dict.fromkeys("demographic demographics demo".split(), DEMOGRAPHIC),
}

# Text that says the audience is businesses or people in their professional role.
B2B_PATTERNS: Final[tuple[str, ...]] = (
    r"\bb2b\b",
    r"\bbusiness to business\b",
    r"\bdecisionmaker\b",
    r"\b(?:itdm|bdm|tdm)s?\b",
    r"\bcsuite\b",
    r"\bcxos?\b",
    r"\bexecutives?\b",
    r"\bfirmographics?\b",
    r"\btechnographics?\b",
    r"\bcompany (?:size|revenue)\b",
    r"\b(?:employee|employees|headcount)\b",
    r"\bjob (?:title|function|role|seniority)s?\b",
    r"\bindustry\b",
    r"\bsmbs?\b",
    r"\bsmall business(?:es)?\b",
    r"\benterprises?\b",
    r"\bprofessionals\b",
    r"\bprocurement\b",
    r"\bpurchasing managers?\b",
    r"\bbusiness owners?\b",
)

# Extra names for nodes, for words sellers use that the node's own name lacks. Keyed by tier path.
NODE_ALIASES: Final[dict[tuple[str, ...], tuple[str, ...]]] = {
    (PURCHASE_INTENT, "Automotive Ownership"): ("auto", "auto ownership"),
    (PURCHASE_INTENT, "Business and Industrial", "Retail", "Grocery Stores and Supermarkets"): ("grocery",),
    (INTEREST, "Healthy Living", "Fitness and Exercise"): ("fitness", "yoga", "pilates", "workout"),
    (INTEREST, "Home & Garden", "Interior Decorating"): ("home decor",),
    (INTEREST, "Business and Finance", "Business", "Small and Medium-sized Business"): ("small business",),
    (INTEREST, "Food & Drink"): ("food",),
    (INTEREST, "Books and Literature"): ("book",),
    (DEMOGRAPHIC, "Household Data", "Life Stage", "Multi Generation Household", "Parents with Children"): (
        "parent",
        "family with child",
    ),
    (
        DEMOGRAPHIC,
        "Household Data",
        "Life Stage",
        "Multi Generation Household",
        "Empty Nest (Adults, Children left home)",
    ): ("empty nest",),
    (DEMOGRAPHIC, "Education & Occupation", "Employment Role", "Homemaker / Domestic Work"): ("homemaker",),
}
