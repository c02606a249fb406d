"""Word tables the rule-based classifier reads: seller shorthand, synonyms, cue words and markers.

Every table applies to both sides: taxonomy names are normalised with the same rewrites and synonyms as
incoming segment text, so a canonical word only has to be chosen once.

The grouped tables are written one line per canonical form: ``canonical: variant, variant, ...``.
"""

from __future__ import annotations

from typing import Final

from connections.domain.classification import DEMOGRAPHIC, INTEREST, PURCHASE_INTENT


def _grouped(table: str) -> dict[str, str]:
    """``{variant: canonical}`` from lines of ``canonical: variant, variant``."""
    mapping: dict[str, str] = {}
    for line in table.strip().splitlines():
        canonical, variants = line.split(":", 1)
        for variant in variants.split(","):
            mapping[variant.strip()] = canonical.strip()
    return mapping


# Multi-word rewrites, applied to lowercased words (punctuation gone); the longest phrase wins.
PHRASE_REWRITES: Final = _grouped(
    """
    inmarket: in market, in the market, in market for, likely to buy, planning to buy, plan to buy, shopping for
    inmarket: looking to, ready to, actively shopping, actively shopping for, researching
    inmarket: actively researching, planning a, planning to, likely to book, planning to book
    inmarket: book a, booking a, who book
    household: hh
    homeowner: home owner, home owners
    first time homeowner: first time home buyer, first time home buyers, first time homebuyer, first time homebuyers
    first time homeowner: home buyer first time, home buyers first time, homebuyer first time, homebuyers first time
    residential real estate buyer: home buyer, home buyers, homebuyer, homebuyers, buy a home, buying a home
    residential real estate buyer: buy a house, buying a house, purchase a home
    residential real estate: new home, new homes, home purchase
    empty nest: empty nester, empty nesters
    skilled manual work: blue collar
    homemaker: stay at home mom, stay at home moms, stay at home dad, stay at home dads, stay at home parent,
    homemaker: stay at home parents
    unemployed job seeker: job seeker, job seekers
    undergraduate education: edu bachelor, education bachelor, bachelor or higher, bachelors or higher
    undergraduate education: bachelor degree, bachelors degree, college graduate, college graduates, college grad
    undergraduate education: college grads, college educated
    postgraduate education: graduate degree, graduate degrees, master degree, masters degree, postgraduate degree
    secondary education: high school
    high net worth: affluent, wealthy, hnw, hnwi, hnwis
    super high net worth: uhnw, uhnwi, uhnwis, ultra high net worth
    language: spanish speaker, spanish speakers, spanish speaking, spanish language, bilingual
    holiday: mother day, father day
    preowned: pre owned, certified pre owned
    suv: sport utility, sport utility vehicle, sport utility vehicles
    green auto: electric vehicle, electric vehicles, electric car, electric cars
    fantasy sport: fantasy football, fantasy baseball, fantasy basketball, fantasy hockey
    auto racing: formula 1, formula one
    birdwatching: bird watching, bird watchers
    hiphop: hip hop
    rnb: r and b
    scifi: sci fi, science fiction
    esports: e sports
    home improvement: do it yourself
    tv electronics: 4k tv, 4k tvs, hd tv, smart tv, smart tvs, flat screen
    alcoholic beverage: craft beer
    credit reporting: credit score
    student financial aid: student loan, student loans
    banking: checking account, checking accounts, savings account
    medical insurance: health insurance
    frugal living: bargain hunter, bargain hunters, deal seeker, deal seekers, coupon clipper, coupon clippers
    frugal living: value shopper, value shoppers
    online education: online degree, online degrees
    csuite: c suite, c level
    human resources: human resource, hr
    business itech: business i t
    decisionmaker: decision maker, decision makers
    exercise equipment: home gym, gym equipment
    pet food: dog food, cat food
    mortgage: home loan, home loans
    billiards: pool table, pool tables, billiard table, billiard tables
    automotive parts accessory: bed liner, bed liners, floor mats, seat covers
    pet sitting: pet hotel, pet hotels, pet boarding, dog boarding, kennel, kennels
    """
)

# Seller codes and abbreviations, to the words the taxonomy uses ("HH w/ Kids", "SFDU", "ITDM", "QSR").
# Applied like PHRASE_REWRITES; money and size codes ("NW $1MM+", "HV", "HH Size") are read by the range
# contexts of ``audience_rules`` instead.
SELLER_CODES: Final = _grouped(
    """
    with kids: w kids, w kid
    with children: w children, w child
    dual income no kids: dink, dinks
    single family: sfdu, sfh
    multiple family: mfdu, mdu
    itech decisionmaker: itdm, itdms
    business decisionmaker: bdm, bdms
    technology decisionmaker: tdm, tdms
    small business: smb, smbs
    fast food restaurant: qsr, qsrs
    education: edu
    credit card: cc
    finance: fin svcs, fin svc, fin services
    service: svcs, svc
    """
)

# Brands and retailers become what they sell, so "Home Depot Shoppers" reads "hardware supplies shoppers".
# Only unambiguous names: a common word such as "target" is left alone.
BRANDS: Final = _grouped(
    """
    auto: toyota, honda, ford, chevrolet, chevy, nissan, hyundai, kia, subaru, jeep, volkswagen, vw, mazda
    auto: dodge, gmc, chrysler, buick, mitsubishi, mini cooper
    luxury auto: bmw, mercedes, mercedes benz, audi, lexus, porsche, cadillac, infiniti, acura, jaguar
    luxury auto: land rover, maserati, volvo, bentley, rolls royce, ferrari, lamborghini, alfa romeo
    green auto: tesla, rivian, polestar, prius, model 3, model y, model s, model x, cybertruck
    pickup truck: f 150, f150, silverado, tacoma, tundra, ram 1500, ram truck
    suv: wrangler, rav4, rav 4, cr v, crv, telluride, xc90, xc 90, cx 5, highlander, 4runner, outback, forester
    suv: grand cherokee, tahoe, equinox
    sedan: camry, corolla, altima, sentra, elantra, jetta
    performance car: mustang, corvette, camaro, miata
    motorcycle: harley davidson, harley
    department store: walmart, costco, sam club, macy, macys, nordstrom, kohl, kohls, jcpenney
    grocery store: kroger, safeway, publix, whole foods, trader joe, aldi
    hardware supplies: home depot, lowe, lowes
    consumer electronics: best buy
    cosmetics: sephora, ulta
    pet store: petsmart, petco
    pet supplies: chewy
    furniture: ikea, wayfair
    coffee: starbucks, dunkin
    restaurant: olive garden, red lobster, applebee, applebees, outback steakhouse, cheesecake factory, ihop
    restaurant: denny, dennys, panera, panera bread, cracker barrel
    food delivery service: doordash, door dash, grubhub, uber eats, postmates
    passenger transportation: uber, lyft
    insurance: state farm, geico, allstate, progressive insurance, liberty mutual
    credit card: amex, american express, chase sapphire, discover card
    sporting goods: bass pro, bass pro shops, cabela, cabelas, dick sporting goods
    gym health club: planet fitness, la fitness, anytime fitness, orangetheory
    department store: dollar general, dollar tree, tj maxx, marshalls
    clothing: victoria secret, levi, levis, patagonia, north face, columbia sportswear, old navy, zara, uniqlo
    clothing: ralph lauren, tommy hilfiger, calvin klein
    designer clothing: gucci, prada, louis vuitton, chanel, versace, burberry
    footwear: foot locker, crocs, skechers, birkenstock
    sunglasses: ray ban, rayban, oakley
    camera: gopro, go pro, nikon
    e reader electronics: kindle
    fast food: mcdonald, mcdonalds, burger king, wendy, taco bell, kfc, chipotle, popeyes, chick fil a, pizza hut
    sportswear: nike, adidas, under armour, lululemon
    hotel resort: marriott, hilton, hyatt, westin, sheraton, ritz carlton
    vacation rental: airbnb, vrbo
    online travel agent: expedia, booking com, priceline, kayak, orbitz
    air travel: delta airlines, united airlines, american airlines, southwest airlines, jetblue
    video streaming: netflix, hulu, disney plus
    music streaming: spotify
    mobile phone: iphone, android, galaxy phone, samsung galaxy
    consumer electronics: samsung
    watch: rolex, tag heuer, breitling
    jewelry: cartier, tiffany
    tablet: ipad
    laptop: macbook
    video game console: xbox, playstation, play station, nintendo
    mobile phone plan: verizon, t mobile, at and t
    exercise equipment: peloton
    """
)

# Single words (after plural stripping) to their canonical form; a canonical form may be several words.
TOKEN_SYNONYMS: Final = _grouped(
    """
    auto: autos, automotive, automobile, car, vehicle
    preowned: used
    motorcycle: motorbike
    green: hybrid
    green auto: ev
    tire: tyre
    male: men, man, guy
    female: women, woman, lady
    parent: mom, mother, dad, father, parenting
    child: kid, children, childrens, tween
    teen: teenager
    baby: infant, newborn
    grandparent: grandparenting
    retired: retiree
    rent: renting
    travel: traveler, traveller, vacationer, vacation
    air travel: flight, airline, flyer
    europe: european
    asia: asian
    africa: african
    cruise: cruiser
    american football: nfl
    basketball: nba
    baseball: mlb
    ice hockey: nhl
    auto racing: nascar
    golf: pga, golfer
    martial arts: mma, ufc
    wrestling: wwe
    soccer: mls
    skiing: skier, ski
    snowboarding: snowboarder
    running: runner
    jogging: jogger
    cycling: cyclist, biker, biking, bike, bicycle
    hunting: hunter
    fishing: angler, fisherman, fishermen
    swimming: swimmer
    boxing: boxer
    surfing: surfer
    climbing: climber
    skating: skater
    equipment: gear
    game: gamer, gaming
    video game: videogame
    movie: film, moviegoer
    tv: television
    hiphop: rap
    book: reader
    food: foodie
    alcoholic beverage: wine, beer, spirit, liquor, whiskey
    alcoholic: alcohol
    cooking: cook, chef
    barbecue: bbq, barbeque
    grilling: grill
    grocery: groceries
    vegetarian: veggie
    home improvement: diy, diyer
    decorating: decor
    garden: gardening, gardener
    bed: mattress
    sofa: couch
    mortgage: refinance, refi
    plumbing: plumber
    investing: investor, investment, invest
    charity: donor, donation, charitable
    insurance: insurer
    technology: tech
    mobile phone: smartphone, cellphone
    mobile: cell
    laptop: notebook
    photography: photographer
    fashion: fashionista
    clothing: apparel, clothe, clothes
    jewelry: jewellery
    cosmetics: makeup, cosmetic
    health: healthy
    weight loss: dieter, dieting
    supplement: vitamin
    dental: dentist
    veterinary: vet, veterinarian
    dog: puppy
    cat: kitten
    horse: equestrian, equine
    craft: crafter, crafting
    collecting: collector
    birdwatching: birder, birdwatcher
    politics: conservative, liberal, democrat, republican, political
    elections: voter
    startup: entrepreneur, founder
    agriculture: farmer, farming
    musical instrument: musician
    wedding: engaged
    remodeling: remodel, renovation, renovate
    footwear: shoe, sneaker
    sunglasses: eyewear
    headphone: headset, earbud, earphone
    air travel: airfare
    clothing: pant, jean, legging, sweater, jacket, hoodie
    """
)

# Common segment words of Spanish, French, German and Portuguese names (accents already folded away),
# to the English word the taxonomy uses. Plural forms whose stem the English rules get wrong are listed.
FOREIGN_WORDS: Final = _grouped(
    """
    travel: viajero, viajera, viajante, voyageur, reisende, reisender, viaje, viagem, viagens, voyage, reise, reisen
    travel: urlaub, vacaciones, vacances
    business: negocio, affaire, affaires, geschaft
    soccer: futbol, futebol, fussball
    movie: cine, cinema, kino, pelicula
    music: musica, musique, musik
    fashion: moda, mode
    female: mujer, mujeres, femme, frau, frauen, mulher, mulheres, damen
    male: hombre, homme, herren, homem, homens
    dog: perro, chien, hund, hunde, cachorro
    cat: gato, katze, katzen
    pet: mascota, haustier, haustiere
    owner: dueno, proprietaire, besitzer, dono
    cat: chats
    family: familia, famille, familie
    child: nino, ninos, enfant, kinder, crianca
    student: estudiante, etudiant, student
    college: universitario, universitaire, universitat
    retired: jubilado, retraite, rentner, aposentado, pensionista
    real estate: immobilier, inmobiliaria, inmobiliario, immobilien, imobiliario
    insurance: seguro, assurance, versicherung
    beach: playa, praia, plage, strand
    alcoholic beverage: vino, vinho, vin, wein
    cooking: cocina, cozinha, kochen
    auto: coche, coches, voiture, carro
    sport: deporte, esporte
    food: comida, gastronomia
    young: jeune, joven, jovenes, jovem
    health: salud, sante, gesundheit
    beauty: belleza, beaute
    home: hogar, maison
    book: libro, livre, buch
    game: juego, jeu, jeux, spiel, spiele
    """
)

# Plurals the suffix rules would get wrong: words that keep their "s", and "-ie" words.
KEEP_PLURAL: Final = frozenset(
    """news gas series species bus plus billiards glasses sunglasses athletics economics politics electronics
    physics genetics statistics graphics esports cosmetics aerobics mathematics ethics logistics robotics
    bioinformatics""".split()
)
IRREGULAR_STEMS: Final = {
    **{word: word for word in KEEP_PLURAL},
    **_grouped(
        """
        movie: movies
        cookie: cookies
        pie: pies
        foodie: foodies
        indie: indies
        brownie: brownies
        smoothie: smoothies
        techie: techies
        rookie: rookies
        zombie: zombies
        male: mens
        female: womens
        toy: toys
        boy: boys
        day: days
        key: keys
        """
    ),
}

# Words that carry no topic: function words and the nouns sellers append to any audience.
STOPWORDS: Final[frozenset[str]] = frozenset(
    """a an and or of the for with in on to at by from who that are is be their them those these this
    into over under via per vs etc not no non all any other others general misc miscellaneous out up
    people person individual consumer user owner audience segment group member subscriber
    frequent heavy light active recent recently likely top total current past next
    visitor goer planner player drinker eater seeker borrower upgrader switcher dweller resident
    household data aged level based couple lifestyle lifestyles decisionmaker
    lookalike lookalikes modeled modelled propensity
    de del des du la le les al el los las da do dos em en von der und et para pour fur con avec mit
    """.split()
)

# Words that say which tier 1 a seller means. They steer the choice and are not matched as topics.
TIER1_CUES: Final[dict[str, str]] = {
    **dict.fromkeys(
        """inmarket intender intent intending purchaser purchase purchasing buyer buy buying shopper
        shopping prospect pi im customer guest diner loyalty booker booked cardholder policyholder
        comprador compradore acheteur kaufer kaeufer
        """.split(),
        PURCHASE_INTENT,
    ),
    **dict.fromkeys(
        """enthusiast fan lover aficionado buff interest interested affinity viewer watcher listener
        follower hobbyist devotee junkie junky fanatic avid int passion amante amateur liebhaber fas fanatico amoureux
        apasionado passionne""".split(),
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
