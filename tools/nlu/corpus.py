#!/usr/bin/python3
"""Training corpus generator for Hearth's intent model (issue 7).

Procedure (deliberately unlike the hand-written evaluation set
tests/data/sentences/llm_eval.jsonl, which this script never reads): for every
example a random synthetic home is drawn (areas, floors and devices from word
pools, plus the demo home's own names), then an intent, a target form and a
phrasing are drawn from grammars below, and the sentence is corrupted the way
speech recognisers and hurried people corrupt it (dropped articles,
homophones, numbers as words, fillers, repeated words, lost punctuation).

The label is the compact JSON the model learns to emit after the prompt:
    {"intent":"HassTurnOn","name":"reading lamp"}
Name/area/floor values are the words *as spoken* (lower-case); the runtime
maps them to the home's display names through its alias trie, so the model
never needs to see the home and works the same for 5 or 500 devices.
Sentences that are not home commands are labelled {"intent":"unknown"}.

    python3 tools/nlu/corpus.py --n 80000 --seed 7 --out corpus.jsonl
"""
import argparse
import json
import random

SLOT_ORDER = ["name", "area", "floor", "domain", "device_class", "brightness", "color", "color_temp",
              "temperature", "position", "volume_level", "hours", "minutes", "seconds", "timer_name", "state"]
INTENTS = ["HassTurnOn", "HassTurnOff", "HassLightSet", "HassClimateSetTemperature", "HassClimateGetTemperature",
           "HassGetState", "HassSetPosition", "HassMediaPause", "HassMediaUnpause", "HassMediaNext",
           "HassMediaPrevious", "HassSetVolume", "HassVacuumStart", "HassVacuumReturnToBase", "HassStartTimer",
           "HassCancelTimer", "HassTimerStatus", "HassGetCurrentTime", "HassGetCurrentDate", "HassNevermind", "unknown"]
COLORS = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "white", "cyan", "magenta", "teal",
          "turquoise", "lavender", "gold", "amber", "violet", "indigo", "lime"]
CT_WORDS = [("warm", 2700), ("warm white", 2700), ("soft white", 3000), ("neutral", 4000), ("natural", 4000),
            ("natural white", 4000), ("cool", 5000), ("cool white", 5000), ("daylight", 6500)]

AREA_POOL = ["living room", "lounge", "family room", "kitchen", "dining room", "hallway", "hall", "entrance",
             "entryway", "office", "study", "garage", "garden", "yard", "backyard", "bedroom", "master bedroom",
             "main bedroom", "kids room", "nursery", "children's room", "bathroom", "guest room", "spare room",
             "spare bedroom", "landing", "attic", "basement", "cellar", "laundry room", "utility room", "den",
             "playroom", "sunroom", "conservatory", "pantry", "gym", "loft", "library", "workshop", "studio",
             "games room", "mudroom", "porch", "balcony", "en suite", "toilet", "shed", "driveway", "patio",
             "second bedroom", "third bedroom", "boys room", "girls room", "tv room", "music room", "annex"]
FLOOR_POOL = ["downstairs", "upstairs", "ground floor", "main floor", "first floor", "second floor", "top floor",
              "basement level", "attic floor", "lower floor", "upper floor"]
# device names by domain; none is "<area word> <kind word>" (those read as area + kind)
DEV_POOL = {
    "light": ["porch light", "floor lamp", "reading lamp", "desk lamp", "chandelier", "night light", "nightlight",
              "string lights", "patio lights", "garden lights", "bias lighting", "tv backlight", "tv lights",
              "big light", "counter lights", "under cabinet lights", "cabinet lights", "mirror light",
              "vanity light", "stair light", "stairs light", "front light", "outside light", "fairy lights",
              "lava lamp", "pendant", "pendant light", "spotlights", "sconce", "wall lamp", "table lamp",
              "corner lamp", "uplighter", "strip lights", "led strip", "bedside lamp", "left bedside lamp",
              "right bedside lamp", "guest room lamp", "landing light", "ceiling light", "main light",
              "living room main light", "kitchen ceiling light", "office ceiling light", "bedroom ceiling light",
              "kids room ceiling light", "bathroom ceiling light", "living room ceiling light", "hallway light",
              "entrance light", "dining light", "dining room light", "garage light", "salt lamp", "globe light",
              "arc lamp", "piano lamp", "aquarium light", "path lights", "security light", "flood light"],
    "switch": ["coffee maker", "coffee machine", "christmas tree", "tree lights", "space heater", "office heater",
               "towel warmer", "towel rail", "kettle", "dehumidifier", "humidifier", "fountain", "fish tank pump",
               "electric blanket", "printer", "smart plug", "toaster", "hot tub pump", "sprinkler", "espresso machine",
               "air purifier", "heated floor", "boiler"],
    "fan": ["bedroom fan", "ceiling fan", "extractor fan", "bathroom fan", "desk fan", "tower fan", "attic fan",
            "kitchen hood", "range hood"],
    "cover": ["living room blinds", "bedroom curtains", "office shade", "office blind", "garage door", "skylight",
              "roller shutter", "awning", "patio blind", "kitchen blind", "velux", "gate", "driveway gate"],
    "climate": ["thermostat", "heating", "downstairs thermostat", "bedroom radiator", "bedroom heating",
                "air conditioner", "ac", "heat pump", "radiator", "floor heating"],
    "lock": ["front door", "back door", "front door lock", "back door lock", "kitchen door", "side door",
             "side gate", "patio door", "shed lock", "garage side door", "cellar door"],
    "media_player": ["tv", "television", "telly", "living room tv", "kitchen speaker", "kitchen radio",
                     "bedroom speaker", "soundbar", "stereo", "record player", "sonos", "echo", "projector"],
    "vacuum": ["robot vacuum", "vacuum", "roomba", "hoover", "vacuum cleaner", "mop robot", "robot"],
    "scene": ["movie night", "movie time", "dinner time", "dinner", "good morning", "party mode", "reading time",
              "romantic", "wake up", "relax", "focus"],
    "script": ["bedtime routine", "bedtime", "leaving home", "goodbye routine", "arrive home", "night mode",
               "morning routine"],
    "sensor": ["outdoor temperature", "outside temperature", "living room temperature", "bedroom humidity",
               "attic temperature", "basement humidity"],
    "binary_sensor": ["front door sensor", "kitchen window", "hallway motion", "motion sensor", "bed sensor",
                      "back window", "smoke alarm"],
}
# plural / kind words → domain (+ device_class)
KIND = {
    "light": [("lights", None), ("lamps", None), ("light", None), ("lighting", None)],
    "fan": [("fans", None), ("fan", None)],
    "cover": [("blinds", "blind"), ("curtains", "curtain"), ("shades", "shade"), ("shutters", None),
              ("covers", None), ("blind", "blind"), ("shade", "shade")],
    "lock": [("locks", None), ("doors", None)],
    "switch": [("switches", None), ("plugs", None)],
    "media_player": [("speakers", None), ("media players", None)],
}
NUMW = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def num_words(n):
    if n < 20:
        return NUMW[n]
    if n == 100:
        return random.choice(["a hundred", "one hundred"])
    t, u = divmod(n, 10)
    return TENS[t] + ("" if u == 0 else random.choice([" ", "-"]) + NUMW[u])


def say_num(n, pct=False):
    r = random.random()
    if r < 0.45:
        s = num_words(n)
    else:
        s = str(n)
    if pct:
        s += random.choice([" percent", "%", " percent", "", " per cent"]) if not s[-1].isalpha() or True else ""
    return s


class Home:
    def __init__(self, rng):
        self.areas = rng.sample(AREA_POOL, rng.randint(3, 9))
        self.floors = rng.sample(FLOOR_POOL, rng.randint(1, 3))
        self.devices = []  # (spoken name, domain, device_class)
        for dom, pool in DEV_POOL.items():
            for nm in rng.sample(pool, min(len(pool), rng.randint(1, 5))):
                dc = None
                if dom == "cover":
                    dc = "garage" if "garage" in nm else ("curtain" if "curtain" in nm else ("blind" if "blind" in nm else None))
                self.devices.append((nm, dom, dc))

    def dev(self, domains):
        c = [d for d in self.devices if d[1] in domains]
        return random.choice(c) if c else None


def the(x):
    return random.choice(["the ", "the ", "my ", "", "the "]) + x


def polite(s):
    pre = random.choice(["", "", "", "", "please ", "hey, ", "can you ", "could you ", "would you ", "i want you to ",
                         "go ahead and ", "ok ", "hearth, ", "hey hearth ", "quickly ", "um ", "uh, ", "just ",
                         "i need you to ", "would you mind if you ", "be a star and ", "is there any chance you could ",
                         "if you have a second, ", "help me out and ", "i'd appreciate it if you'd ", "do me a favour and ",
                         "could you possibly ", "i'd like you to ", "whenever you're ready, "])
    post = random.choice(["", "", "", "", " please", " for me", " thanks", " now", " right now", " thank you",
                          " asap", " if you can", ", cheers", " please and thank you", " whenever you can",
                          " if you don't mind", " would you", " for a bit", " will you"])
    return pre + s + post


REASONS_ON = ["it's dark", "i can't see", "i'm home", "guests are coming", "we're eating", "i'm cold",
              "it's getting late", "i'm reading", "the baby's up", "it's gloomy"]
REASONS_OFF = ["i'm going to bed", "nobody's there", "we're leaving", "it's too bright", "save some power",
               "i'm done", "it's late", "the kids are asleep", "it's daytime"]


def with_reason(s, on):
    if random.random() < 0.18:
        r = random.choice(REASONS_ON if on else REASONS_OFF)
        return random.choice([r + ", " + s, s + ", " + r, s + " because " + r, r + " so " + s])
    return s


# Context clauses: why, what for, what is going on. People wrap a command in
# them ("<command>, <context>"); they name meals, media, rooms' uses and people,
# never the command's target. Added to a share of every intent's examples in
# make(), so the model learns to read the command and skip the rest.
CTX_DOING = ["cooking", "reading", "working late", "on the phone", "on a call", "in the bath", "heading out",
             "getting ready for work", "doing the dishes", "folding the washing", "watching a film",
             "watching the match", "helping with homework", "trying to sleep", "having a lie down", "tidying up",
             "packing for the trip", "painting the fence", "knitting", "baking", "making lunch", "eating",
             "having breakfast", "doing yoga", "working out", "playing board games", "hosting friends",
             "back home", "off to bed", "leaving now", "expecting people", "carrying bags", "out in the garden",
             "feeding the baby", "running late", "on my way out", "in the shower", "studying", "writing emails"]
CTX_WHO = ["the kids", "the baby", "grandpa", "my mum", "the twins", "our guests", "the dog", "my partner",
           "the neighbours", "the cat", "my sister"]
CTX_WHO_STATE = ["asleep", "napping", "still up", "coming over", "on the way", "home early", "back from school",
                 "playing outside", "watching cartoons", "in bed", "awake again", "visiting", "out", "hungry"]
CTX_EVENTS = ["dinner's ready", "dinner is nearly ready", "lunch is on the table", "the film's about to start",
              "the game starts soon", "the pizza's here", "the party starts at eight", "it's bedtime",
              "it's nearly midnight", "it's the weekend", "it's raining", "it's pouring outside", "it's freezing",
              "it's boiling in here", "the sun's gone down", "it's a lovely day", "the power bill was huge",
              "my hands are full", "i've got a headache", "i'm exhausted", "i'm so tired", "i need to focus",
              "we're celebrating", "it's my birthday", "the guests are here", "the soup is on the stove",
              "the tea's brewing", "the show's over", "the kettle's on", "story time is done", "i've had a long day",
              "the match is on", "it's movie time", "the music was too much", "the cake's in the oven"]
CTX_WANT = ["read", "relax", "sleep", "focus", "finish my book", "see what i'm doing", "cook in peace",
            "listen to some music", "watch something", "get some work done", "warm up", "cool down", "save power",
            "have a bath", "hear myself think", "find my keys", "get to bed", "catch the news"]
CTX_FOR = ["the party", "christmas", "halloween", "the game", "date night", "the kids", "grandma", "the guests",
           "tonight", "the weekend", "her birthday", "family dinner", "story time", "the holidays", "new year",
           "the barbecue", "the book club"]
CTX_SO = ["so nobody trips", "so i don't fall", "so the dog doesn't get out", "so we can see",
          "so it's ready when i get home", "so the kids can sleep", "so i can read", "so i can hear the tv",
          "so we can eat", "so the baby stays asleep", "so i can work"]


def context_clause():
    r = random.random()
    if r < 0.25:
        return random.choice(["i'm ", "we're ", "i am ", "we are "]) + random.choice(CTX_DOING)
    if r < 0.4:
        who = random.choice(CTX_WHO)
        plural = who in ("the kids", "our guests", "the twins", "the neighbours")
        verb = " are " if plural else random.choice([" is ", "'s "])
        return who + verb + random.choice(CTX_WHO_STATE)
    if r < 0.7:
        return random.choice(CTX_EVENTS)
    return random.choice(["i want to ", "i wanna ", "i'd like to ", "i need to ", "we want to "]) + random.choice(CTX_WANT)


def with_context(s):
    """s plus a context clause before or after it (the label does not change)."""
    r = random.random()
    if r < 0.12:
        return s + " for " + random.choice(CTX_FOR)
    if r < 0.2:
        return s + " " + random.choice(CTX_SO)
    c = context_clause()
    if r < 0.45:
        return c + random.choice([", ", ". ", " - ", ", so ", " so "]) + s
    return s + random.choice([", ", ", ", ". ", " - ", " because ", " since ", " as ", ", cause "]) + c


def target_phrase(home, domains, allow_group=True):
    """Returns (phrase, slots) for a device, area+kind, floor+kind, whole house, or everything in an area."""
    r = random.random()
    kinds = [d for d in domains if d in KIND]
    if allow_group and kinds and r < 0.35:
        dom = random.choice(kinds)
        kw, dc = random.choice(KIND[dom])
        form = random.random()
        slots = {"domain": dom}
        if dc:
            slots["device_class"] = dc
        if form < 0.5:
            a = random.choice(home.areas)
            slots["area"] = a
            ph = random.choice(["the %s %s" % (a, kw), "%s %s" % (a, kw), "the %s in the %s" % (kw, a),
                                "%s in the %s" % (kw, a), "all the %s in the %s" % (kw, a), "the %s %s" % (a, kw)])
        elif form < 0.75:
            f = random.choice(home.floors)
            slots["floor"] = f
            ph = random.choice(["the %s %s" % (f, kw), "the %s %s" % (kw, f), "all the %s %s" % (kw, f),
                                "the %s on the %s" % (kw, f), "every %s %s" % (kw.rstrip("s"), f)])
        else:
            ph = random.choice(["all the %s" % kw, "all %s" % kw, "every %s" % kw.rstrip("s"),
                                "the %s everywhere" % kw, "all the %s in the house" % kw, "every %s in the house" % kw.rstrip("s")])
        return ph, slots
    if allow_group and r < 0.40 and "light" in domains:
        a = random.choice(home.areas)
        return random.choice(["everything in the %s" % a, "all the stuff in the %s" % a, "the whole %s" % a]), {"area": a}
    d = home.dev(domains)
    if d is None:
        d = (random.choice(DEV_POOL[domains[0]]), domains[0], None)
    return the(d[0]), {"name": d[0]}


def on_off(home, on):
    domains = ["light", "switch", "fan", "media_player", "light", "light", "switch"]
    ph, slots = target_phrase(home, domains)
    if on:
        v = random.choice(["turn on %s", "switch on %s", "turn %s on", "switch %s on", "put %s on", "%s on",
                           "power up %s", "flip on %s", "light up %s", "fire up %s", "start %s", "get %s going",
                           "activate %s", "i want %s on", "%s on please", "enable %s", "bring up %s"])
    else:
        v = random.choice(["turn off %s", "switch off %s", "turn %s off", "switch %s off", "kill %s", "%s off",
                           "shut off %s", "shut %s off", "power down %s", "cut %s", "put out %s", "stop %s",
                           "disable %s", "i want %s off", "%s off now", "lights out for %s"])
    return polite(with_reason(v % ph, on)), {"intent": "HassTurnOn" if on else "HassTurnOff", **slots}


def cover(home, open_):
    d = home.dev(["cover"])
    if random.random() < 0.3:
        kw, dc = random.choice(KIND["cover"])
        a = random.choice(home.areas)
        ph = random.choice(["the %s in the %s" % (kw, a), "the %s %s" % (a, kw)])
        slots = {"area": a, "domain": "cover"}
        if dc:
            slots["device_class"] = dc
    else:
        ph, slots = the(d[0]), {"name": d[0]}
    v = random.choice(["open %s", "open up %s", "raise %s", "pull up %s", "lift %s", "%s up", "let %s up"]) if open_ else \
        random.choice(["close %s", "shut %s", "lower %s", "pull down %s", "let %s down", "%s down", "draw down %s"])
    return polite(v % ph), {"intent": "HassTurnOn" if open_ else "HassTurnOff", **slots}


def lock(home, lk):
    if random.random() < 0.2:
        ph, slots = random.choice(["all the doors", "every door", "both doors", "all the locks", "the doors"]), {"domain": "lock"}
    else:
        d = home.dev(["lock"])
        ph, slots = the(d[0]), {"name": d[0]}
    v = random.choice(["lock %s", "lock up %s", "secure %s", "bolt %s", "make sure %s is locked", "%s needs locking"]) if lk else \
        random.choice(["unlock %s", "open the lock on %s", "unbolt %s", "let me in, unlock %s", "release %s"])
    return polite(v % ph), {"intent": "HassTurnOn" if lk else "HassTurnOff", **slots}


def scene(home):
    d = home.dev(["scene", "script"])
    v = random.choice(["activate %s", "run %s", "start %s", "%s scene", "set the %s scene", "trigger %s", "%s please",
                       "it's %s", "go to %s mode", "launch %s", "do %s"])
    return polite(v % d[0]), {"intent": "HassTurnOn", "name": d[0]}


def light_set(home):
    ph, slots = target_phrase(home, ["light"])
    r = random.random()
    if r < 0.5:
        b = random.choice([random.randint(1, 100), random.choice([10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 100])])
        bs = say_num(b, pct=True)
        if b == 50 and random.random() < 0.3:
            bs = "half"
        v = random.choice(["dim %s to %s", "set %s to %s", "%s to %s", "brightness of %s to %s", "put %s at %s",
                           "make %s %s bright", "bring %s down to %s", "turn %s up to %s", "%s at %s brightness",
                           "set the brightness of %s to %s"])
        return polite(v % (ph, bs)), {"intent": "HassLightSet", **slots, "brightness": b}
    if r < 0.82:
        c = random.choice(COLORS)
        v = random.choice(["make %s %s", "turn %s %s", "set %s to %s", "change %s to %s", "%s %s", "%s in %s",
                           "color %s %s", "paint %s %s", "i want %s %s"])
        return polite(v % (ph, c)), {"intent": "HassLightSet", **slots, "color": c}
    w, k = random.choice(CT_WORDS)
    v = random.choice(["make %s %s", "set %s to %s", "%s to %s", "change %s to %s light", "%s %s please"])
    return polite(v % (ph, w)), {"intent": "HassLightSet", **slots, "color_temp": k}


def say_temp():
    t = random.randint(10, 30)
    half = random.random() < 0.15
    if half:
        s = random.choice(["%s and a half" % num_words(t), "%d.5" % t, "%s point five" % num_words(t)])
        return s, t + 0.5
    return say_num(t), t


def climate_set(home):
    s, t = say_temp()
    deg = random.choice(["", " degrees", " degrees", " °c", " celsius", " degree"])
    if random.random() < 0.35:
        a = random.choice(home.areas)
        v = random.choice(["set the %s to %s%s", "make it %s%s in the %s", "heat the %s to %s%s", "keep the %s at %s%s",
                           "warm the %s up to %s%s", "cool the %s to %s%s", "%s temperature %s%s"])
        txt = v % ((s, deg, a) if v.startswith("make it") else (a, s, deg))
        return polite(txt), {"intent": "HassClimateSetTemperature", "area": a, "temperature": t}
    d = home.dev(["climate"])
    v = random.choice(["set %s to %s%s", "%s to %s%s", "turn %s up to %s%s", "turn %s down to %s%s", "put %s on %s%s",
                       "bump %s to %s%s", "drop %s to %s%s", "change %s to %s%s", "%s at %s%s"])
    return polite(v % (the(d[0]), s, deg)), {"intent": "HassClimateSetTemperature", "name": d[0], "temperature": t}


def climate_get(home):
    r = random.random()
    if r < 0.4:
        a = random.choice(home.areas)
        v = random.choice(["what's the temperature in the %s", "how warm is it in the %s", "how cold is the %s",
                           "temperature in the %s", "is it warm in the %s", "how hot is the %s", "%s temperature",
                           "%s temp?", "the %s, how warm is it", "temperature for the %s please"])
        return polite(v % a), {"intent": "HassClimateGetTemperature", "area": a}
    if r < 0.7:
        d = home.dev(["climate", "sensor"])
        v = random.choice(["what is %s reading", "what's %s at", "what does %s say", "temperature of %s"])
        return v % the(d[0]), {"intent": "HassClimateGetTemperature", "name": d[0]}
    return random.choice(["what's the temperature", "how warm is it", "how cold is it in here", "is it cold inside",
                          "what's the temp inside", "how hot is it"]), {"intent": "HassClimateGetTemperature"}


STATES = {"light": ["on", "off"], "switch": ["on", "off"], "fan": ["on", "off"], "lock": ["locked", "unlocked"],
          "cover": ["open", "closed"], "media_player": ["playing", "on", "off"], "binary_sensor": ["on", "off", "open"]}


def get_state(home):
    if random.random() < 0.3:
        dom = random.choice(["light", "lock", "cover", "fan"])
        st = random.choice(STATES[dom])
        kw, dc = random.choice(KIND[dom][:3] if dom == "cover" else KIND[dom][:1])
        slots = {"domain": dom}
        if dc:
            slots["device_class"] = dc
        r = random.random()
        if r < 0.4:
            a = random.choice(home.areas)
            ph = "the %s in the %s" % (kw, a)
            slots["area"] = a
        elif r < 0.6:
            f = random.choice(home.floors)
            ph = "the %s %s" % (kw, f)
            slots["floor"] = f
        else:
            ph = "all the %s" % kw
        q = random.choice(["are %s %s", "are any of %s %s", "which %s are %s", "tell me if %s are %s", "check if %s are %s"])
        if q.startswith("which"):
            return q % (ph.replace("all the ", "").replace("the ", "", 1), st), {"intent": "HassGetState", **slots, "state": st}
        return q % (ph, st), {"intent": "HassGetState", **slots, "state": st}
    dom = random.choice(list(STATES))
    d = home.dev([dom])
    st = random.choice(STATES[dom])
    if random.random() < 0.2:
        return random.choice(["what's the state of %s", "what is %s doing", "status of %s"]) % the(d[0]), \
            {"intent": "HassGetState", "name": d[0]}
    q = random.choice(["is %s %s", "is %s still %s", "did i leave %s %s", "did someone leave %s %s",
                       "check whether %s is %s", "tell me if %s is %s", "is %s %s right now"])
    return q % (the(d[0]), st), {"intent": "HassGetState", "name": d[0], "state": st}


def set_position(home):
    d = home.dev(["cover"])
    p = random.choice([random.randint(0, 100), 25, 50, 75])
    ps = say_num(p, pct=random.random() < 0.6)
    if p == 50 and random.random() < 0.3:
        ps = random.choice(["halfway", "half way", "half"])
    v = random.choice(["set %s to %s", "open %s to %s", "%s to %s", "put %s at %s", "move %s to %s", "%s %s open"])
    return polite(v % (the(d[0]), ps)), {"intent": "HassSetPosition", "name": d[0], "position": p}


def media(home):
    it = random.choice(["HassMediaPause", "HassMediaUnpause", "HassMediaNext", "HassMediaPrevious"])
    verbs = {"HassMediaPause": ["pause %s", "pause the music on %s", "hold %s", "freeze %s", "pause"],
             "HassMediaUnpause": ["resume %s", "unpause %s", "continue %s", "keep playing %s", "resume", "unpause"],
             "HassMediaNext": ["next track on %s", "skip the song on %s", "next on %s", "skip this", "next song",
                               "skip ahead on %s", "next episode"],
             "HassMediaPrevious": ["previous track on %s", "go back a song on %s", "previous song", "back one track",
                                   "last track again on %s", "rewind one song"]}[it]
    v = random.choice(verbs)
    slots = {"intent": it}
    if "%s" in v:
        if random.random() < 0.25:
            a = random.choice(home.areas)
            v = v.replace("%s", "the speaker in the %s" if random.random() < 0.5 else "the %s" % a, 1)
            v = v.replace("%s", a)
            slots["area"] = a
        else:
            d = home.dev(["media_player"])
            v = v % the(d[0])
            slots["name"] = d[0]
    return polite(v), slots


def volume(home):
    n = random.choice([random.randint(0, 100), 10, 20, 30, 50])
    ns = say_num(n, pct=random.random() < 0.4)
    r = random.random()
    if r < 0.6:
        d = home.dev(["media_player"])
        v = random.choice(["set the volume of %s to %s", "%s volume %s", "volume on %s to %s", "turn %s to volume %s",
                           "make %s volume %s"])
        return polite(v % (the(d[0]), ns)), {"intent": "HassSetVolume", "name": d[0], "volume_level": n}
    return polite(random.choice(["volume %s", "set the volume to %s", "turn the volume to %s", "volume to %s"]) % ns), \
        {"intent": "HassSetVolume", "volume_level": n}


def vacuum(home):
    start = random.random() < 0.5
    d = home.dev(["vacuum"])
    if start:
        if random.random() < 0.25:
            return polite(random.choice(["start vacuuming", "vacuum the house", "clean the floors", "do the hoovering"])), {"intent": "HassVacuumStart"}
        return polite(random.choice(["start %s", "run %s", "send %s out to clean", "%s go clean", "get %s cleaning"]) % the(d[0])), \
            {"intent": "HassVacuumStart", "name": d[0]}
    if random.random() < 0.25:
        return polite(random.choice(["stop vacuuming and go home", "return to base", "back to the dock"])), {"intent": "HassVacuumReturnToBase"}
    return polite(random.choice(["send %s home", "%s go home", "dock %s", "%s back to base", "%s go charge",
                                 "return %s to its dock", "recall %s"]) % the(d[0])), {"intent": "HassVacuumReturnToBase", "name": d[0]}


TIMER_NAMES = ["pasta", "eggs", "pizza", "tea", "laundry", "oven", "cake", "bread", "roast", "rice", "nap", "homework",
               "workout", "screen time", "piano", "cookies", "chicken", "potatoes", "reading"]


UNITS = {"minute": ["min", "mins"], "second": ["sec", "secs"], "hour": ["hr", "hrs"]}


def unit(u, n):
    """'minute(s)' as said, or as typed/transcribed short ('mins', 'sec')."""
    if random.random() < 0.15:
        return random.choice(UNITS[u])
    return u if n == 1 else u + "s"


def timer(home):
    r = random.random()
    slots = {"intent": "HassStartTimer"}
    parts = []
    if r < 0.6:
        m = random.choice([random.randint(1, 90), 5, 10, 15, 20, 30])
        slots["minutes"] = m
        parts.append("%s %s" % (say_num(m), unit("minute", m)))
    elif r < 0.75:
        s = random.choice([10, 15, 20, 30, 45, 90, random.randint(5, 59)])
        slots["seconds"] = s
        parts.append("%s %s" % (say_num(s), unit("second", s)))
    elif r < 0.9:
        h = random.randint(1, 4)
        slots["hours"] = h
        parts.append("%s %s" % (say_num(h) if random.random() < 0.8 else "an" if h == 1 else str(h), unit("hour", h)))
        if random.random() < 0.3:
            m = random.choice([15, 30, 45, random.randint(1, 59)])
            slots["minutes"] = m
            parts.append(random.choice(["and ", "", ""]) + "%s %s" % (say_num(m), unit("minute", m)))
    else:
        m = random.randint(1, 9)
        s = random.choice([15, 30, 45])
        slots["minutes"], slots["seconds"] = m, s
        parts.append("%s %s %s%s %s" % (say_num(m), unit("minute", m), random.choice(["and ", "", ""]), say_num(s),
                                         unit("second", s)))
    dur = " ".join(parts)
    if random.random() < 0.3:
        tn = random.choice(TIMER_NAMES)
        slots["timer_name"] = tn
        v = random.choice(["set a %s timer for %s", "%s timer %s", "timer for the %s, %s", "set a timer for %s for the %s"])
        txt = v % ((dur, tn) if v.startswith("set a timer for %s for") else (tn, dur))
    else:
        v = random.choice(["set a timer for %s", "timer %s", "start a timer for %s", "%s timer", "count down %s",
                           "remind me in %s", "timer for %s please", "put on a timer for %s"])
        txt = v % dur
    return polite(txt), slots


def timer_other(home):
    tn = random.choice(TIMER_NAMES) if random.random() < 0.3 else None
    if random.random() < 0.5:
        v = random.choice(["cancel the %stimer", "stop the %stimer", "delete the %stimer", "kill the %stimer",
                           "get rid of the %stimer", "turn off the %stimer"])
        s = {"intent": "HassCancelTimer"}
    else:
        v = random.choice(["how long is left on the %stimer", "how much time on the %stimer", "is the %stimer done",
                           "check the %stimer", "time remaining on the %stimer", "when does the %stimer go off"])
        s = {"intent": "HassTimerStatus"}
    if tn:
        s["timer_name"] = tn
    return polite(v % (tn + " " if tn else "")), s


def misc(home):
    r = random.random()
    if r < 0.35:
        return random.choice(["what time is it", "what's the time", "tell me the time", "time check", "got the time",
                              "what hour is it", "current time please", "do you have the time"]), {"intent": "HassGetCurrentTime"}
    if r < 0.65:
        return random.choice(["what's the date", "what day is it", "today's date please", "what date is it today",
                              "which day is today", "what's today's date", "date today"]), {"intent": "HassGetCurrentDate"}
    return random.choice(["never mind", "nevermind", "forget it", "cancel", "nothing", "ignore that", "sorry, never mind",
                          "no nothing", "forget i said anything", "scratch that", "doesn't matter"]), {"intent": "HassNevermind"}


OOD = ["what's the weather %s", "tell me a %s joke", "who won the game %s", "play some %s music", "order %s online",
       "how do i cook %s", "what's the capital of %s", "call %s", "send a message to %s", "book a table at %s",
       "how tall is %s", "what's on tv %s", "set an alarm for %s", "remind me to buy %s", "who is %s",
       "how far is %s", "translate %s into french", "spell %s", "what does %s mean", "is it going to rain %s",
       "find me a recipe for %s", "read me %s", "what's my schedule %s", "buy %s", "how old is %s",
       "tell me about %s", "who invented %s", "how do you spell %s", "search the web for %s", "email %s",
       "what's the score %s", "any news about %s", "how many calories in %s", "show me pictures of %s",
       "add %s to the shopping list", "what movies are on %s", "text %s that i'm late", "navigate to %s",
       "how long does it take to get to %s", "what time does %s open"]
OOD_FILL = ["tomorrow", "today", "funny", "jazz", "paper towels", "rice", "peru", "mom", "dave", "the pizza place",
            "the moon", "tonight", "seven am", "milk", "the president", "london", "hello", "necessary", "serendipity",
            "this weekend", "lasagna", "the news", "a story", "batteries", "the queen", "my dentist",
            "the supermarket", "electricity", "the airport", "bananas", "sarah", "the library", "next week",
            "football", "dinosaurs", "the bakery", "tuesday", "my sister", "coffee beans", "the train station"]


def ood(home):
    r = random.random()
    if r < 0.5:
        return random.choice(OOD) % random.choice(OOD_FILL), {"intent": "unknown"}
    if r < 0.8:  # near misses: past, reported, opinions about devices
        d = home.dev(["light", "switch", "fan", "media_player", "lock", "cover"])
        v = random.choice(["i already turned off %s", "i turned on %s yesterday", "%s was on all night",
                           "my friend says %s is broken", "i love %s", "how much did %s cost", "where did we buy %s",
                           "%s looks nice", "who turned off %s last night", "did you know %s is new",
                           "i wonder how old %s is", "my neighbour has %s too", "%s was a gift",
                           "how do i fix %s", "order a new bulb for %s", "when was %s installed", "what brand is %s",
                           "does %s use much power", "%s makes a weird noise", "remind me to clean %s",
                           "who broke %s", "should i replace %s", "%s is my favourite"])
        return v % the(d[0]), {"intent": "unknown"}
    return random.choice(["thank you", "thanks a lot", "good job", "hello", "how are you", "what's your name",
                          "i'm bored", "you're great", "can you hear me", "what can you do", "lol", "that's funny",
                          "what is the meaning of life", "sing me a song", "are you a robot", "i'm hungry",
                          "tell me something interesting", "what's up", "how was your day", "good night",
                          "what's two plus two", "flip a coin", "roll a dice", "do you like music", "tell me a story",
                          "i love you", "where am i", "who made you", "bless you", "okay", "yes", "hmm"]), {"intent": "unknown"}


def indirect(home):
    a = random.choice(home.areas)
    if random.random() < 0.6:
        v = random.choice(["it's too dark in the %s", "it's pitch black in the %s", "i can't see anything in the %s",
                           "the %s is so gloomy", "we need some light in the %s", "could we get some light in the %s",
                           "it's dark in the %s", "can't see a thing in the %s"])
        return v % a, {"intent": "HassTurnOn", "area": a, "domain": "light"}
    v = random.choice(["it's way too bright in the %s", "nobody's in the %s, lights can go off", "the %s doesn't need lights now",
                       "no one is using the %s, kill the lights", "the lights in the %s are wasting power"])
    return v % a, {"intent": "HassTurnOff", "area": a, "domain": "light"}


def indirect_more(home):
    """indirect requests beyond darkness/brightness: a state that implies the action."""
    r = random.random()
    if r < 0.3:
        f = random.choice(home.floors)
        if random.random() < 0.5:
            v = random.choice(["it's too dark %s", "it's pitch black %s", "i can't see a thing %s", "we need light %s",
                               "it's so gloomy %s"])
            return v % f, {"intent": "HassTurnOn", "floor": f, "domain": "light"}
        v = random.choice(["nobody's %s, lights off", "no one is %s anymore, lights can go off", "it's too bright %s",
                           "the lights %s are wasting power", "we're all done %s, kill the lights"])
        return v % f, {"intent": "HassTurnOff", "floor": f, "domain": "light"}
    d = home.dev(["light", "switch", "fan", "media_player"])
    ph = the(d[0])
    if r < 0.65:
        v = random.choice(["%s is still on", "someone left %s on", "why is %s on", "%s has been on all day, shut it",
                           "%s doesn't need to be on", "i don't need %s anymore", "%s is on for no reason",
                           "we're done with %s", "%s is annoying me, off", "no need for %s now"])
        return v % ph, {"intent": "HassTurnOff", "name": d[0]}
    v = random.choice(["i could use %s right now", "%s should be on", "i'd like %s on", "%s isn't on yet",
                       "can we have %s", "why is %s off, put it on", "i need %s", "%s would be nice now",
                       "let's have %s on", "%s is off and it shouldn't be"])
    return v % ph, {"intent": "HassTurnOn", "name": d[0]}


def correction(home):
    """negations/corrections: the command that counts is the last positive one."""
    txt, lab = on_off(home, random.random() < 0.5)
    d = home.dev(["light", "switch", "fan", "media_player"])
    other = the(d[0])
    v = random.choice(["don't %s, %s" % ("touch " + other, txt), "not %s, %s" % (other, txt),
                       "leave %s alone and %s" % (other, txt), "no wait, %s" % txt, "actually %s" % txt,
                       "i didn't mean %s, %s" % (other, txt), "forget %s, %s" % (other, txt),
                       "%s, not %s" % (txt, other), "%s but leave %s as it is" % (txt, other),
                       "wait no, %s" % txt, "sorry, i meant %s" % txt, "not that one, %s" % txt,
                       "%s and don't touch %s" % (txt, other)])
    return v, lab


# ---------------------------------------------------------------------------
# Session 7 (issue 7): phrasings the generator did not produce before, written
# from the issue's categories -- devices named by description, state
# questions, colour/brightness/position/volume with other verbs and fractions,
# timers and clock questions in looser words, media by room, learner English,
# more near-miss out-of-domain lines. (Dev-set failures were read for their
# *kinds* only; none of their sentences is used here.)

# How people describe a device instead of saying its name; the label stays the
# name (the runtime's trie keeps it inside the home).
DESC = {
    "stair light": ["the light on the stairs", "the stairway light", "the light by the stairs", "the staircase light"],
    "stairs light": ["the light over the stairs", "the light going up the stairs"],
    "landing light": ["the light on the landing", "the light at the top of the stairs", "the upstairs landing light"],
    "tv backlight": ["the light behind the tv", "the glow behind the television", "the screen backlight",
                     "the light strip on the back of the tv", "the ambient light behind the telly"],
    "tv lights": ["the lights behind the tv", "the lights round the telly", "the lights on the back of the television"],
    "bias lighting": ["the lighting behind the screen", "the bias lights"],
    "bedside lamp": ["the lamp by the bed", "the lamp next to the bed", "my bedside light", "the bedside light",
                     "the lamp on the nightstand"],
    "left bedside lamp": ["the lamp on the left of the bed", "the left lamp by the bed", "the left bedside light",
                          "the lamp on the left side"],
    "right bedside lamp": ["the lamp on the right of the bed", "the right lamp by the bed", "the right bedside light",
                           "the lamp on the right side"],
    "desk lamp": ["the lamp on my desk", "the lamp on the desk", "the desk light", "the light on my desk"],
    "reading lamp": ["the lamp i read by", "the reading light", "the light for reading"],
    "floor lamp": ["the standing lamp", "the tall lamp", "the lamp on the floor", "the standard lamp"],
    "porch light": ["the light on the porch", "the porch lamp", "the light outside the front door"],
    "front light": ["the light at the front", "the light out front"],
    "outside light": ["the light outside", "the outdoor light", "the exterior light"],
    "mirror light": ["the light over the mirror", "the light above the mirror", "the mirror lamp"],
    "vanity light": ["the light over the vanity", "the vanity lamp"],
    "under cabinet lights": ["the lights under the cabinets", "the lights under the cupboards", "the undercabinet lights"],
    "cabinet lights": ["the lights in the cabinets", "the cupboard lights"],
    "counter lights": ["the lights over the counter", "the worktop lights", "the countertop lights"],
    "chandelier": ["the big light over the table", "the crystal light", "the chandelier light"],
    "dining light": ["the light over the dining table", "the light above the table"],
    "night light": ["the little light in the kids room", "the glow light", "the night lamp"],
    "nightlight": ["the night lamp", "the little night light"],
    "string lights": ["the lights on the string", "the hanging lights", "the festoon lights"],
    "garden lights": ["the lights in the garden", "the lights outside in the garden", "the outdoor lights"],
    "patio lights": ["the lights on the patio", "the lights out on the patio"],
    "fairy lights": ["the twinkly lights", "the little lights"],
    "path lights": ["the lights along the path", "the pathway lights"],
    "security light": ["the motion light outside", "the security lamp"],
    "flood light": ["the floodlight", "the big outside light"],
    "big light": ["the main light", "the overhead light", "the top light"],
    "main light": ["the big light", "the overhead light"],
    "ceiling light": ["the light on the ceiling", "the overhead light", "the light in the ceiling"],
    "salt lamp": ["the himalayan lamp", "the pink salt lamp"],
    "aquarium light": ["the fish tank light", "the light in the aquarium"],
    "coffee maker": ["the coffee pot", "the thing that makes coffee", "the brewer", "the filter coffee thing"],
    "coffee machine": ["the espresso thing", "the coffee thing", "the bean to cup"],
    "espresso machine": ["the espresso maker", "the espresso"],
    "christmas tree": ["the tree", "the xmas tree", "the christmas lights", "the lights on the tree"],
    "tree lights": ["the tree", "the lights on the tree"],
    "space heater": ["the heater", "the little heater", "the portable heater", "the electric heater"],
    "office heater": ["the heater by my desk", "the office heating"],
    "towel warmer": ["the towel heater", "the heated towel rail", "the thing that warms the towels"],
    "towel rail": ["the heated rail", "the towel radiator"],
    "kettle": ["the kettle for tea", "the water boiler"],
    "fish tank pump": ["the fish pump", "the aquarium pump", "the filter in the fish tank"],
    "electric blanket": ["the heated blanket", "the blanket"],
    "hot tub pump": ["the hot tub", "the jacuzzi pump"],
    "air purifier": ["the purifier", "the air cleaner", "the air filter"],
    "bedroom fan": ["the fan in the bedroom", "the bedroom ceiling fan", "the fan upstairs"],
    "ceiling fan": ["the fan on the ceiling", "the overhead fan"],
    "extractor fan": ["the extractor", "the fan in the bathroom", "the vent fan", "the bathroom extractor"],
    "bathroom fan": ["the fan in the bathroom", "the bathroom vent"],
    "range hood": ["the cooker hood", "the fan over the stove"],
    "kitchen hood": ["the fan over the hob", "the cooker fan"],
    "desk fan": ["the little fan on the desk", "the fan on my desk"],
    "living room blinds": ["the blinds in the living room", "the lounge blinds", "the blinds downstairs"],
    "bedroom curtains": ["the curtains in the bedroom", "the bedroom drapes", "the drapes upstairs"],
    "office shade": ["the shade in the office", "the office window shade", "the blind in the office"],
    "office blind": ["the blind in the office", "the office window blind"],
    "kitchen blind": ["the blind in the kitchen", "the kitchen window blind"],
    "patio blind": ["the blind on the patio", "the patio shade"],
    "garage door": ["the up and over door", "the door of the garage", "the big garage door", "the garage gate"],
    "driveway gate": ["the gate at the driveway", "the front gate"],
    "skylight": ["the roof window", "the window in the roof"],
    "thermostat": ["the heating", "the heat", "the temperature control"],
    "bedroom radiator": ["the radiator in the bedroom", "the bedroom heater", "the heater upstairs"],
    "air conditioner": ["the air con", "the aircon", "the cooling"],
    "front door": ["the door at the front", "the main door", "the front entrance"],
    "back door": ["the door at the back", "the rear door", "the back entrance"],
    "kitchen door": ["the door in the kitchen", "the door out of the kitchen"],
    "side door": ["the door at the side", "the side entrance"],
    "living room tv": ["the tv in the living room", "the big tv", "the television downstairs", "the telly in the lounge"],
    "tv": ["the telly", "the television", "the box"],
    "kitchen speaker": ["the speaker in the kitchen", "the kitchen music", "the music in the kitchen"],
    "kitchen radio": ["the radio in the kitchen", "the radio"],
    "bedroom speaker": ["the speaker in the bedroom", "the speaker upstairs", "the bedroom music"],
    "robot vacuum": ["the robot", "the hoover", "the little robot", "the vacuum robot", "the cleaning robot"],
    "vacuum": ["the robot", "the cleaner"],
    "roomba": ["the robot", "the robot hoover"],
    "hallway motion": ["the motion sensor in the hall", "the hallway sensor"],
    "kitchen window": ["the window in the kitchen", "the kitchen window sensor"],
    "front door sensor": ["the front door contact", "the sensor on the front door"],
}
# generic description: "<modifier> <kind>" named devices read as "the <kind> in/by the <modifier>"
KIND_WORDS = ["light", "lights", "lamp", "fan", "heater", "blind", "blinds", "shade", "curtains", "speaker", "radio",
              "door", "radiator", "heating", "tv", "window", "motion", "humidity", "temperature"]


def describe_dev(d):
    """A description of device d (spoken name, domain, class), or None."""
    nm = d[0]
    if nm in DESC and random.random() < 0.75:
        return random.choice(DESC[nm])
    w = nm.split()
    if len(w) >= 2 and w[-1] in KIND_WORDS:
        mod, kind = " ".join(w[:-1]), w[-1]
        if mod in ("left bedside", "right bedside"):
            return None
        return random.choice(["the %s in the %s" % (kind, mod), "the %s over in the %s" % (kind, mod),
                              "the %s by the %s" % (kind, mod), "that %s in the %s" % (kind, mod), "the %s %s" % (mod, kind)])
    return None


def described(home, domains):
    for _ in range(6):
        d = home.dev(domains)
        if d is None:
            break
        ph = describe_dev(d)
        if ph:
            return d, ph
    return None, None


def desc_command(home):
    """on/off, brightness/colour, position, media, climate for a device named by description."""
    r = random.random()
    if r < 0.55:
        d, ph = described(home, ["light", "switch", "fan", "media_player", "light"])
        if d is None:
            return on_off(home, True)
        on = random.random() < 0.52
        if on:
            v = random.choice(["turn on %s", "switch on %s", "%s on", "put %s on", "can you turn on %s",
                               "i'd like %s on", "get %s going", "%s has to come on", "could %s go on",
                               "would you switch %s on", "%s, on please", "bring %s on", "give me %s"])
        else:
            v = random.choice(["turn off %s", "switch off %s", "%s off", "kill %s", "shut off %s",
                               "%s has to go off", "could you switch %s off", "%s, off please", "turn %s off", "%s can be switched off",
                               "i'm done with %s"])
        return polite(with_reason(v % ph, on)), {"intent": "HassTurnOn" if on else "HassTurnOff", "name": d[0]}
    if r < 0.7:
        d, ph = described(home, ["light"])
        if d is None:
            return light_set(home)
        if random.random() < 0.5:
            c = random.choice(COLORS)
            v = random.choice(["make %s %s", "turn %s %s", "i'd love %s in %s", "give %s some %s", "set %s to %s"])
            return polite(v % (ph, c)), {"intent": "HassLightSet", "name": d[0], "color": c}
        b = random.choice([10, 20, 25, 30, 40, 50, 60, 75, 80, random.randint(1, 100)])
        v = random.choice(["dim %s to %s", "set %s to %s", "%s at %s", "put %s on %s", "bring %s down to %s"])
        return polite(v % (ph, say_num(b, pct=True))), {"intent": "HassLightSet", "name": d[0], "brightness": b}
    if r < 0.85:
        d, ph = described(home, ["cover", "lock"])
        if d is None:
            return cover(home, True)
        if d[1] == "lock":
            lk = random.random() < 0.5
            v = random.choice(["lock %s", "lock up %s", "make sure %s is locked", "secure %s"]) if lk else \
                random.choice(["unlock %s", "open %s for me, it's locked", "let me in through %s, unlock it"])
            return polite(v % ph), {"intent": "HassTurnOn" if lk else "HassTurnOff", "name": d[0]}
        op = random.random() < 0.5
        v = random.choice(["open %s", "open up %s", "raise %s", "pull %s up", "put %s up"]) if op else \
            random.choice(["close %s", "shut %s", "lower %s", "pull %s down", "draw %s", "let %s down"])
        return polite(v % ph), {"intent": "HassTurnOn" if op else "HassTurnOff", "name": d[0]}
    d, ph = described(home, ["media_player", "climate", "vacuum"])
    if d is None:
        return media(home)
    if d[1] == "media_player":
        it, v = random.choice([("HassMediaPause", "pause %s"), ("HassMediaUnpause", "resume %s"),
                               ("HassMediaNext", "skip the song on %s"), ("HassMediaPause", "mute %s for a moment"),
                               ("HassMediaUnpause", "carry on with %s"), ("HassMediaPrevious", "go back one on %s")])
        return polite(v % ph), {"intent": it, "name": d[0]}
    if d[1] == "climate":
        s, t = say_temp()
        return polite(random.choice(["set %s to %s", "put %s on %s degrees", "turn %s to %s"]) % (ph, s)), \
            {"intent": "HassClimateSetTemperature", "name": d[0], "temperature": t}
    if random.random() < 0.5:
        return polite(random.choice(["start %s", "send %s out", "get %s cleaning", "let %s do its thing"]) % ph), \
            {"intent": "HassVacuumStart", "name": d[0]}
    return polite(random.choice(["send %s back", "%s can go back to its dock", "park %s", "%s can go recharge"]) % ph), \
        {"intent": "HassVacuumReturnToBase", "name": d[0]}


STATE_Q = {  # state -> ways of asking about it
    "on": ["on", "switched on", "turned on", "still on", "running", "going", "left on", "powered on", "lit"],
    "off": ["off", "switched off", "turned off", "powered down", "out"],
    "open": ["open", "up", "still open", "opened", "left open"],
    "closed": ["closed", "shut", "down", "drawn"],
    "locked": ["locked", "bolted", "secure", "locked up"],
    "unlocked": ["unlocked", "not locked", "open"],
    "playing": ["playing", "playing music", "on"],
    "docked": ["docked", "back on its dock", "charging"],
    "cleaning": ["cleaning", "running", "out cleaning"],
}


def state_question(home):
    """State questions beyond "is X on": other verbs, groups with device classes, sensors."""
    r = random.random()
    if r < 0.6:
        dom = random.choice(["light", "switch", "fan", "lock", "cover", "media_player", "vacuum", "light", "switch"])
        d = home.dev([dom])
        st = random.choice({"light": ["on", "off"], "switch": ["on", "off"], "fan": ["on", "off"],
                            "lock": ["locked", "unlocked"], "cover": ["open", "closed"],
                            "media_player": ["playing", "on", "off"], "vacuum": ["docked", "cleaning"]}[dom])
        wq = random.choice(STATE_Q[st])
        if st == "unlocked" and wq == "open":
            wq = "unlocked"
        ph = describe_dev(d) if random.random() < 0.3 else None
        ph = ph or the(d[0])
        q = random.choice(["is %s %s", "is %s %s at the moment", "can you check if %s is %s", "have we got %s %s",
                           "do you know if %s is %s", "could you find out if %s is %s", "%s is %s, right", "was %s left %s",
                           "has %s been %s", "is %s %s or not", "tell me whether %s is %s", "quick check, is %s %s",
                           "did anyone leave %s %s"])
        if q.startswith("was %s left") or q.startswith("did anyone leave"):
            wq = wq.replace("left ", "").replace("still ", "")
        return polite_q(q % (ph, wq)), {"intent": "HassGetState", "name": d[0], "state": st}
    if r < 0.85:
        dom = random.choice(["light", "lock", "cover", "fan", "light"])
        kw, dc = random.choice(KIND[dom])
        st = random.choice({"light": ["on", "off"], "fan": ["on", "off"], "lock": ["locked", "unlocked"],
                            "cover": ["open", "closed"]}[dom])
        wq = random.choice(STATE_Q[st][:3])
        slots = {"domain": dom}
        if dc:
            slots["device_class"] = dc
        rr = random.random()
        if rr < 0.45:
            a = random.choice(home.areas)
            slots["area"] = a
            ph = random.choice(["are some of the %s %s in the %s" % (kw, wq, a), "are there %s %s in the %s" % (kw, wq, a),
                                "are the %s in the %s %s" % (kw, a, wq), "is anything %s in the %s" % (wq, a)
                                if dom == "light" else "are any %s %s in the %s" % (kw, wq, a)])
        elif rr < 0.65:
            f = random.choice(home.floors)
            slots["floor"] = f
            ph = random.choice(["are there %s %s %s" % (kw, wq, f), "are the %s %s %s" % (kw, f, wq)])
        else:
            ph = random.choice(["are all the %s %s" % (kw, wq), "have we got every one of the %s %s" % (kw, wq), "are there any %s %s" % (kw, wq),
                                "is every %s %s" % (kw.rstrip("s"), wq)])
            if dom == "lock" and random.random() < 0.5:
                ph = random.choice(["is the whole place %s" % wq, "is the house %s" % wq, "are we all %s" % wq])
        return polite_q(ph), {"intent": "HassGetState", **slots, "state": st}
    # sensors: motion / humidity / windows by area word
    a = random.choice(["hallway", "kitchen", "garage", "landing", "porch", "office", "bedroom", "bathroom", "basement"])
    k = random.random()
    if k < 0.35:
        return polite_q(random.choice(["any activity in the %s", "has someone walked through the %s",
                                       "is the %s sensor picking anyone up", "has anyone been in the %s"]) % a), \
            {"intent": "HassGetState", "name": a + " motion"}
    if k < 0.7:
        return polite_q(random.choice(["how humid is the %s", "how damp is it in the %s", "humidity level in the %s",
                                       "is it muggy in the %s"]) % a), {"intent": "HassGetState", "name": a + " humidity"}
    st = random.choice(["open", "closed"])
    return polite_q(random.choice(["is the %s window %s", "did someone leave the %s window %s",
                                 "is the window in the %s %s"]) % (a, st)), \
        {"intent": "HassGetState", "name": a + " window", "state": st}


def polite_q(s):
    pre = random.choice(["", "", "", "", "hey, ", "hearth, ", "quick question, ", "um ", "can you tell me, ",
                         "do you know, ", "just checking, ", "ok "])
    return pre + s + random.choice(["", "", "", " please", " right now", "?", " at the moment"])


FRACTIONS = [("a quarter", 25), ("quarter", 25), ("half", 50), ("three quarters", 75), ("a third", 33),
             ("full", 100), ("max", 100), ("maximum", 100), ("all the way", 100)]


def settings_more(home):
    """brightness/colour/position/volume with other verbs, fractions and bounds."""
    r = random.random()
    if r < 0.3:
        ph, slots = target_phrase(home, ["light"])
        c = random.choice(COLORS)
        v = random.choice(["i fancy %s in %s", "how about %s in %s", "i'd like %s in %s", "give %s a %s glow",
                           "flip %s over to %s", "turn %s to %s", "%s %s please", "put %s on %s", "go %s with %s",
                           "make %s glow %s", "%s in %s for the party", "could you make %s %s", "let's have %s %s",
                           "change the colour of %s to %s", "set the color of %s to %s"])
        txt = v % ((c, ph) if v.startswith("go %s with") else (ph, c))
        return polite(txt), {"intent": "HassLightSet", **slots, "color": c}
    if r < 0.5:
        ph, slots = target_phrase(home, ["light"])
        if random.random() < 0.5:
            w, b = random.choice(FRACTIONS)
            v = random.choice(["set %s to %s strength", "%s to %s", "turn %s up to %s", "bring %s to %s",
                               "%s, %s power"])
            if w in ("full", "max", "maximum", "all the way") and random.random() < 0.5:
                v = random.choice(["%s all the way up", "%s as bright as it goes", "crank %s right up", "max out %s"])
                return polite(v % ph), {"intent": "HassLightSet", **slots, "brightness": 100}
            return polite(v % (ph, w)), {"intent": "HassLightSet", **slots, "brightness": b}
        b = random.choice([5, 10, 15, 20, 30, 35, 40, 45, 60, 65, 70, 80, 85, 90, 95, random.randint(1, 100)])
        v = random.choice(["could %s sit at %s", "%s should sit at %s", "i want %s at %s", "%s at %s",
                           "lower %s to %s", "raise %s to %s", "brighten %s to %s", "%s down to %s", "%s up to %s",
                           "can you put %s on %s", "bring the brightness of %s to %s"])
        return polite(v % (ph, say_num(b, pct=random.random() < 0.7))), {"intent": "HassLightSet", **slots, "brightness": b}
    if r < 0.75:
        d = home.dev(["cover"])
        ph = describe_dev(d) if random.random() < 0.35 else None
        ph = ph or the(d[0])
        if random.random() < 0.4:
            w, p = random.choice(FRACTIONS[:5])
            v = random.choice(["open %s %s of the way", "%s %s of the way up", "close %s %s of the way",
                               "get %s %s of the way open"])
            if v.startswith("close"):
                p = 100 - p
            return polite(v % (ph, w)), {"intent": "HassSetPosition", "name": d[0], "position": p}
        p = random.choice([10, 20, 25, 30, 40, 60, 70, 75, 80, 90, random.randint(0, 100)])
        v = random.choice(["adjust %s to %s", "lower %s to %s", "%s sitting at %s", "open %s up to %s",
                           "bring %s down to %s", "pull %s up to %s", "could %s sit at %s", "%s should sit at %s",
                           "set the position of %s to %s", "move %s to %s"])
        return polite(v % (ph, say_num(p, pct=random.random() < 0.6))), {"intent": "HassSetPosition", "name": d[0], "position": p}
    # volume: bounds, areas, looser verbs
    n = random.choice([0, 5, 10, 15, 20, 25, 30, 40, 50, 60, 70, 80, 100, random.randint(0, 100)])
    ns = say_num(n, pct=random.random() < 0.4)
    if n == 100 and random.random() < 0.5:
        ns = random.choice(["max", "the top", "full", "the max", "full blast"])
    rr = random.random()
    if rr < 0.4:
        d = home.dev(["media_player"])
        ph = describe_dev(d) if random.random() < 0.3 else None
        ph = ph or the(d[0])
        v = random.choice(["raise the volume on %s to %s", "turn down %s to %s", "%s sound level %s",
                           "%s volume at %s", "put the volume on %s at %s", "drop %s to volume %s",
                           "could %s play at volume %s", "let %s play at %s"])
        txt = v % (ph, ns)
        return polite(txt), {"intent": "HassSetVolume", "name": d[0], "volume_level": n}
    if rr < 0.7:
        a = random.choice(home.areas)
        v = random.choice(["set the volume in the %s to %s", "music in the %s at %s", "the sound in the %s to %s",
                           "turn the %s music down to %s", "turn the music in the %s to %s"])
        txt = v % (a, ns)
        return polite(txt), {"intent": "HassSetVolume", "area": a, "volume_level": n}
    v = random.choice(["turn it up to %s", "turn it down to %s", "make it %s loud", "volume at %s", "put the volume at %s",
                       "sound to %s", "i want the volume at %s"])
    return polite(v % ns), {"intent": "HassSetVolume", "volume_level": n}


def timers_more(home):
    """timers in fractions and loose word orders, status and cancel questions."""
    r = random.random()
    tn = random.choice(TIMER_NAMES) if random.random() < 0.4 else None
    if r < 0.5:
        dur, slots = random.choice([("half an hour", {"minutes": 30}), ("an hour and a half", {"hours": 1, "minutes": 30}),
                                    ("an hour and thirty minutes", {"hours": 1, "minutes": 30}),
                                    ("a quarter of an hour", {"minutes": 15}), ("a minute", {"minutes": 1}),
                                    ("an hour", {"hours": 1}), ("a couple of minutes", {"minutes": 2}),
                                    ("half a minute", {"seconds": 30}), ("two and a half hours", {"hours": 2, "minutes": 30}),
                                    ("a minute and a half", {"minutes": 1, "seconds": 30}), (None, None)])
        if dur is None:
            m = random.choice([1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 25, 35, 40, 45, 50, 60, 75, 90, random.randint(1, 99)])
            if random.random() < 0.3:
                dur, slots = say_num(m) + random.choice(["-minute", " minute"]), {"minutes": m}
                v = random.choice(["set a %s timer", "start a %s timer", "%s timer please", "i need a %s timer"])
                if tn:
                    v = random.choice(["start a %s timer for the " + tn, "set a %s timer for the " + tn, tn + " %s timer"])
                    slots["timer_name"] = tn
                return polite(v % dur), {"intent": "HassStartTimer", **slots}
            if random.random() < 0.2:  # a bare number means minutes
                return polite(random.choice(["countdown %s", "set the timer to %s", "put %s on the timer"]) % say_num(m)), \
                    {"intent": "HassStartTimer", "minutes": m}
            dur, slots = "%s minute%s" % (say_num(m), "" if m == 1 else "s"), {"minutes": m}
        slots = dict(slots)
        if tn:
            slots["timer_name"] = tn
            v = random.choice(["the %s takes %s, time it" % (tn, "%s"), "%s for the %s" % ("%s", tn),
                               "remind me about the %s in %s" % (tn, "%s"), "time the %s, %s" % (tn, "%s"),
                               "start the %s timer, %s" % (tn, "%s")])
        else:
            v = random.choice(["%s countdown", "time %s for me", "give me %s on the timer", "wake me in %s",
                               "count down from %s", "i need a timer, %s", "let me know when %s is up",
                               "start counting %s", "%s on the clock"])
        return polite(v % dur), {"intent": "HassStartTimer", **slots}
    if r < 0.8:
        lab = {"intent": "HassTimerStatus"}
        if tn:
            lab["timer_name"] = tn
            v = random.choice(["is the %s nearly finished", "is the %s ready yet", "how much longer on the %s",
                               "when's the %s going to be ready", "how far along is the %s timer",
                               "how's the %s timer doing"]) % tn
            return polite_q(v), lab
        else:
            v = random.choice(["how much longer", "is my countdown nearly over", "how long to go",
                               "how long have i got left", "is it time yet", "what's the countdown at", "how's my timer",
                               "are we nearly there on the timer", "how many seconds to go", "timer status"])
        return polite_q(v), lab
    lab = {"intent": "HassCancelTimer"}
    if tn:
        lab["timer_name"] = tn
        v = random.choice(["call off the %s timer", "forget the %s timer", "the %s is done, stop the timer",
                           "no need for the %s timer", "scrap the %s timer"]) % tn
    else:
        v = random.choice(["call off the timer", "forget the timer", "no more timer needed", "scrap the timer",
                           "the countdown can stop", "drop the timer", "stop counting down"])
    return polite(v), lab


def small_talk_intents(home):
    """clock, date and never-mind in looser words; media by room and with other verbs."""
    r = random.random()
    if r < 0.2:
        return random.choice(["what time have we got", "is it noon yet", "could you check the clock", "what does the clock say",
                              "have you got the time", "what o'clock is it", "how early is it", "is it late already",
                              "the time", "tell me the current time", "what time do you make it"]), \
            {"intent": "HassGetCurrentTime"}
    if r < 0.4:
        return random.choice(["what weekday is it", "tell me today's date", "which weekday are we on",
                              "what date are we on", "is today monday", "is today the tenth", "is it friday",
                              "what month are we in", "what's today's date again", "remind me what day it is",
                              "what's the day today", "tell me the date"]), {"intent": "HassGetCurrentDate"}
    if r < 0.5:
        return random.choice(["ignore that last bit", "scrap what i just said", "hold on, no", "my bad, never mind",
                              "wrong button, sorry", "just ignore me", "actually no", "not now", "it's fine, never mind",
                              "stop, forget what i said", "no, leave it", "sorry, false alarm"]), {"intent": "HassNevermind"}
    it = random.choice(["HassMediaPause", "HassMediaUnpause", "HassMediaNext", "HassMediaPrevious"])
    v = random.choice({"HassMediaPause": ["hush the music in the %s", "put the music in the %s on hold",
                                          "pause the tunes in the %s", "quiet in the %s, pause it", "pause whatever's on in the %s"],
                       "HassMediaUnpause": ["get the music in the %s going again", "unpause the tunes in the %s",
                                            "play again in the %s", "back to the music in the %s", "keep going in the %s"],
                       "HassMediaNext": ["skip ahead in the %s", "skip this song in the %s", "next tune in the %s",
                                         "move on to the next track in the %s"],
                       "HassMediaPrevious": ["the song before in the %s", "rewind a track in the %s",
                                             "previous tune in the %s", "replay the last one in the %s"]}[it])
    if random.random() < 0.35:
        v = random.choice({"HassMediaPause": ["put it on pause", "hold on, pause", "pause for a moment", "hold the music"],
                           "HassMediaUnpause": ["play on", "keep it going", "press play again", "start it up again"],
                           "HassMediaNext": ["skip ahead a track", "on to the next one", "skip it", "next tune"],
                           "HassMediaPrevious": ["the one before please", "rewind a track",
                                                 "play that again from the one before", "go back one"]}[it])
        return polite(v), {"intent": it}
    a = random.choice(home.areas)
    return polite(v % a), {"intent": it, "area": a}


def areas_more(home):
    """area/floor requests in other words: outside, darkness verbs, learner English, the whole house."""
    r = random.random()
    if r < 0.25:
        a = random.choice(["outside", "outdoors"])
        if random.random() < 0.5:
            v = random.choice(["how chilly is it %s", "how many degrees is it %s", "what's it like %s, temperature wise",
                               "is it freezing %s", "temperature %s", "is it warm %s"])
            return polite_q(v % a), {"intent": "HassClimateGetTemperature", "area": a}
        g = random.choice(home.areas)
        v = random.choice(["is it warm out in the %s", "how chilly is it out in the %s", "what's the temperature out in the %s"])
        return polite_q(v % g), {"intent": "HassClimateGetTemperature", "area": g}
    if r < 0.5:
        a = random.choice(home.areas)
        on = random.random() < 0.5
        if on:
            v = random.choice(["brighten up the %s", "light the %s", "the %s could do with light",
                               "put some light on in the %s", "illuminate the %s", "flood the %s with light"])
        else:
            v = random.choice(["turn the %s dark", "make the %s dark", "the %s can go dark",
                               "black out the %s", "no more lights in the %s"])
        return polite(with_reason(v % a, on)), {"intent": "HassTurnOn" if on else "HassTurnOff", "area": a, "domain": "light"}
    if r < 0.7:
        on = random.random() < 0.5
        v = random.choice(["light the entire house", "all lights on", "every lamp in the house on", "lights on everywhere",
                           "the whole place lit up please"]) if on else \
            random.choice(["kill every light in the house", "every light off", "all lights out", "the whole house dark please",
                           "switch the whole house's lights off"])
        return polite(v), {"intent": "HassTurnOn" if on else "HassTurnOff", "domain": "light"}
    # learner English / odd word order
    d = home.dev(["light", "switch", "fan", "media_player"])
    w = d[0].split()
    on = random.random() < 0.5
    onw, offw = random.choice([("on", "off"), ("switch on", "switch off"), ("turn on", "turn off")])
    if len(w) >= 2 and w[-1] in KIND_WORDS:
        ph = random.choice(["the %s from %s", "%s at %s", "the %s at %s", "%s in %s"]) % (w[-1], " ".join(w[:-1]))
    else:
        ph = d[0]
    v = random.choice(["%s %s now please", "%s %s", "please %s %s quick", "for me %s %s", "can %s %s"])
    txt = v % ((onw if on else offw), ph) if not v.startswith("%s %s") else "%s %s" % (ph, onw if on else offw)
    return txt, {"intent": "HassTurnOn" if on else "HassTurnOff", "name": d[0]}


def keep_but(home):
    """one device stays, another changes: the command is the changed one."""
    d1 = home.dev(["light", "switch", "fan", "media_player"])
    d2 = home.dev(["light", "switch", "fan", "media_player"])
    if d1 == d2:
        return on_off(home, False)
    on = random.random() < 0.5
    a, b = the(d1[0]), the(d2[0])
    act = "on" if on else "off"
    keep = "off" if on else "on"
    v = random.choice(["don't change %s, switch %s %s" % (a, b, act),
                       "%s can stay as it is, turn %s %s" % (a, b, act),
                       "leave %s %s, just %s %s" % (a, keep, b, act),
                       "%s %s, %s stays %s" % (b, act, a, keep), "only %s %s, not %s" % (b, act, a),
                       "%s %s but not %s" % (b, act, a),
                       # the changed device first, then the one to leave (the label names the first)
                       "turn %s %s not %s" % (b, act, a), "turn %s %s, not %s" % (b, act, a),
                       "switch %s %s and not %s" % (b, act, a), "%s %s, leave %s" % (b, act, a),
                       "%s %s, leave %s %s" % (b, act, a, keep), "%s %s but leave %s alone" % (b, act, a),
                       "just %s %s, not %s as well" % (b, act, a), "%s %s and leave %s be" % (b, act, a),
                       "turn %s %s and keep %s %s" % (b, act, a, keep), "%s %s, %s can stay %s" % (b, act, a, keep)])
    return v, {"intent": "HassTurnOn" if on else "HassTurnOff", "name": d2[0]}


def ood_more(home):
    """near misses: questions about devices and colours, past actions with times, comparisons, thanks."""
    r = random.random()
    if r < 0.3:
        d = home.dev(["light", "switch", "fan", "climate", "cover", "lock", "media_player", "vacuum"])
        nm = d[0]
        v = random.choice(["how does %s work", "what is a %s for", "who makes the %s",
                           "is a %s expensive to run", "can you recommend a %s", "where can i buy a %s",
                           "what's the best %s", "how much power does a %s use", "is %s a good brand"])
        return v % nm, {"intent": "unknown"}
    if r < 0.55:
        d = home.dev(["light", "switch", "fan", "media_player", "cover"])
        t = random.choice(["a while back", "this morning", "last night", "yesterday", "ten minutes ago", "earlier",
                           "before lunch", "two days ago", "when i got home"])
        v = random.choice(["i turned on %s %s", "i switched off %s %s", "i opened %s %s", "someone turned %s on %s",
                           "my wife turned off %s %s", "%s was on %s", "we had %s on %s", "the kids played with %s %s"])
        return v % (the(d[0]), t), {"intent": "unknown"}
    if r < 0.75:
        c = random.choice(COLORS)
        v = random.choice(["what do you think of %s", "%s is my favourite colour", "what goes with %s",
                           "is %s a warm colour", "my car is %s", "i painted the fence %s", "what colour is %s mixed with white",
                           "our last flat had dimmer lights", "our old lamp was %s",
                           "the neighbours have %s lights", "i want to paint the bedroom %s"])
        return (v % c if "%s" in v else v), {"intent": "unknown"}
    return random.choice(["thanks a million", "thanks, that's all", "cheers mate", "great, thanks", "perfect",
                          "that was quick", "you're a star", "nice one", "much appreciated", "goodbye", "see you later",
                          "good morning to you too", "how's it going", "you're useless", "that's not what i asked",
                          "are you listening", "what did you say", "say that again", "never heard of it",
                          "the weather is lovely today", "my feet are cold", "i had a long day"]), {"intent": "unknown"}


WEATHER_WORDS = ["warm", "cold", "hot", "chilly", "sunny", "freezing", "windy", "mild", "nice out", "frosty"]
WHEN_LATER = ["tomorrow", "tonight", "later", "this weekend", "on saturday", "next week", "this afternoon",
              "in the morning", "on monday", "over the holidays"]
WHEN_BEFORE = ["yesterday", "last night", "last week", "on sunday", "this time last year"]


def ood_forecast_math(home):
    """weather to come or past (a forecast, not a sensor), and sums: not home commands."""
    r = random.random()
    w, t = random.choice(WEATHER_WORDS), random.choice(WHEN_LATER)
    if r < 0.55:
        v = random.choice(["is it going to be %s %s" % (w, t), "will it be %s %s" % (w, t),
                           "how %s will it get %s" % (w.split()[0], t), "what's the temperature going to be %s" % t,
                           "what will the temperature be %s" % t, "is it meant to be %s %s" % (w, t),
                           "should i expect it to be %s %s" % (w, t), "how many degrees %s" % t,
                           "what's the high %s" % t, "any frost %s" % t,
                           "how %s was it %s" % (w.split()[0], random.choice(WHEN_BEFORE)),
                           "what was the temperature %s" % random.choice(WHEN_BEFORE)])
        return polite_q(v), {"intent": "unknown"}
    a, b = random.randint(2, 99), random.randint(2, 30)
    v = random.choice(["what's %s times %s", "what is %s plus %s", "how much is %s divided by %s",
                       "what's %s minus %s", "%s times %s", "add %s and %s", "what's %s percent of %s"])
    return v % (say_num(a), say_num(b)), {"intent": "unknown"}


# ---------------------------------------------------------------------------
# Session 8 (issue 7): generator defects found after session 7, written from
# their descriptions in docs/benchmarks-nlu.md (no dev-set sentence is used):
# request frames that are not state questions ("i was wondering if you
# could ..."), near-miss "i wonder ..." lines that are not commands, polarity
# from darken/brighten verbs, compound number words in every numeric slot,
# "X off not Y" / "X off, leave Y" and short "X off please" imperatives.

GERUND = {"turn": "turning", "switch": "switching", "put": "putting", "shut": "shutting", "set": "setting",
          "dim": "dimming", "open": "opening", "close": "closing", "lock": "locking", "unlock": "unlocking",
          "make": "making", "bring": "bringing", "lower": "lowering", "raise": "raising", "change": "changing",
          "kill": "killing", "pull": "pulling", "start": "starting", "pause": "pausing", "darken": "darkening",
          "brighten": "brightening", "get": "getting"}


def say_compound(n):
    """n in words, always: "twenty two", "fifty-five", "a hundred"."""
    if n == 100:
        return random.choice(["a hundred", "one hundred", "a hundred", "hundred"])
    return num_words(n)


def compound_num(lo, hi):
    """A number in [lo, hi] that takes more than one word to say (21..99 not a multiple of ten, or 100)."""
    c = [x for x in range(max(lo, 21), min(hi, 99) + 1) if x % 10]
    if hi >= 100 and random.random() < 0.12:
        return 100
    return random.choice(c)


def request_core(home):
    """(imperative verb phrase starting with its verb, label) for the request frames."""
    r = random.random()
    if r < 0.5:
        on = random.random() < 0.5
        ph, slots = target_phrase(home, ["light", "switch", "fan", "media_player", "light"])
        if random.random() < 0.2:
            d, dph = described(home, ["light", "switch", "fan"])
            if d is not None:
                ph, slots = dph, {"name": d[0]}
        v = random.choice(["turn on %s", "turn %s on", "switch on %s", "switch %s on", "put %s on"] if on else
                          ["turn off %s", "turn %s off", "switch off %s", "switch %s off", "shut off %s", "kill %s"])
        return v % ph, {"intent": "HassTurnOn" if on else "HassTurnOff", **slots}
    if r < 0.62:
        d = home.dev(["cover"])
        op = random.random() < 0.5
        v = random.choice(["open %s", "raise %s", "pull up %s"] if op else ["close %s", "shut %s", "lower %s", "draw %s"])
        return v % the(d[0]), {"intent": "HassTurnOn" if op else "HassTurnOff", "name": d[0]}
    if r < 0.7:
        d = home.dev(["lock"])
        lk = random.random() < 0.5
        return ("lock %s" if lk else "unlock %s") % the(d[0]), {"intent": "HassTurnOn" if lk else "HassTurnOff", "name": d[0]}
    if r < 0.84:
        ph, slots = target_phrase(home, ["light"])
        if random.random() < 0.5:
            b = compound_num(1, 100) if random.random() < 0.5 else random.randint(1, 100)
            bs = say_compound(b) if random.random() < 0.6 else str(b)
            bs += random.choice([" percent", "%", "", " per cent"])
            v = random.choice(["dim %s to %s", "set %s to %s", "bring %s down to %s", "put %s at %s", "turn %s up to %s"])
            return v % (ph, bs), {"intent": "HassLightSet", **slots, "brightness": b}
        c = random.choice(COLORS)
        return random.choice(["make %s %s", "turn %s %s", "change %s to %s"]) % (ph, c), \
            {"intent": "HassLightSet", **slots, "color": c}
    if r < 0.92:
        d = home.dev(["climate"])
        t = random.randint(16, 28)
        ts = say_compound(t) if t > 20 and random.random() < 0.6 else say_num(t)
        return random.choice(["set %s to %s", "turn %s up to %s", "bring %s down to %s", "put %s on %s degrees"]) % \
            (the(d[0]), ts), {"intent": "HassClimateSetTemperature", "name": d[0], "temperature": t}
    if r < 0.96:
        d = home.dev(["media_player"])
        n = random.randint(5, 100)
        ns = say_compound(n) if random.random() < 0.5 else say_num(n)
        return random.choice(["set the volume on %s to %s", "turn %s down to %s", "bring %s up to %s"]) % \
            (the(d[0]), ns), {"intent": "HassSetVolume", "name": d[0], "volume_level": n}
    m = random.choice([2, 3, 5, 10, 12, 15, 20, 25, 30, 40, 45, random.randint(1, 99)])
    return "start a timer for %s minute%s" % (say_num(m), "" if m == 1 else "s"), {"intent": "HassStartTimer", "minutes": m}


def request_frames(home):
    """indirect request frames around a command; the command decides the label, the frame does not."""
    core, lab = request_core(home)
    if random.random() < 0.3 and core.split(" ", 1)[0] in GERUND:
        w = core.split(" ", 1)
        g = GERUND[w[0]] + " " + w[1]
        v = random.choice(["would you mind %s", "do you mind %s", "would you mind just %s", "mind %s",
                           "would you mind awfully %s", "how about %s"])
        txt = v % g
    else:
        v = random.choice(["i was wondering if you could %s", "i was wondering whether you could %s",
                           "i wonder if you could %s", "i was hoping you could %s", "i was hoping you'd %s",
                           "i'm hoping you can %s", "do you think you could %s", "would it be possible to %s",
                           "i'd be grateful if you could %s", "i wondered if you might %s", "i was wondering, could you %s",
                           "i was just wondering if you could %s", "any chance you could %s", "i hoped you could %s"])
        txt = v % core
    txt += random.choice(["", "", "", " please", " for me", " at some point", " if it's no trouble", "?", " thanks",
                          " when you get a moment"])
    return txt, lab


def ood_wonder(home):
    """near misses in request and wondering frames that are not home commands."""
    r = random.random()
    if r < 0.6:
        d = home.dev(["light", "switch", "fan", "media_player", "cover", "lock", "climate", "vacuum"])
        v = random.choice(["i wonder if %s is worth fixing", "i wonder if %s wastes a lot of electricity",
                           "i wonder how long %s will last", "i wonder who picked %s", "i wonder why %s keeps flickering",
                           "i wonder whether %s needs a new bulb", "i was wondering how much %s costs to run",
                           "i was wondering where we got %s", "i wonder if they still sell %s",
                           "i wonder what %s is made of", "i was wondering if %s came with a warranty",
                           "i wonder if %s would look better somewhere else", "i wonder if %s can be repaired",
                           "i wonder if %s draws a lot of current", "i was wondering whether %s is energy efficient",
                           "i wonder when %s was last cleaned", "i was wondering who installed %s",
                           "i wonder if %s is still under guarantee", "i wonder how many watts %s takes",
                           "i was wondering if you know who made %s", "i wonder if %s is too old",
                           "i was hoping %s would last longer", "would you mind telling me what %s cost",
                           "i was wondering if you could tell me when %s was bought"])
        return v % the(d[0]), {"intent": "unknown"}
    return random.choice(["i wonder what's for dinner", "i wonder if it will snow tonight", "i wonder who's at the door",
                          "i was wondering if you could tell me a joke", "i was hoping you could help with my homework",
                          "would you mind telling me a story", "i was wondering if you could recommend a film",
                          "would you mind singing something", "i wonder what time the shop shuts",
                          "i was wondering whether it'll rain later", "i wonder where i left my keys",
                          "i was hoping you could order me a pizza", "do you think you could book me a taxi",
                          "i wonder how far away the moon is", "would it be possible to call my brother",
                          "i was wondering if you dream", "i wonder if the bins go out tomorrow",
                          "would you mind reading the news", "i was hoping you'd remember my birthday",
                          "i wonder if the post has come"]), {"intent": "unknown"}


PEOPLE = ["my kids", "the kids", "my son", "my daughter", "my husband", "my wife", "my partner", "the dog",
          "my flatmate", "the cleaner", "grandma", "my brother", "the babysitter", "our guests", "somebody", "the boys"]


def ood_reports(home):
    """things other people did or do, told without a time phrase; chores and plans that are not home commands."""
    r = random.random()
    if r < 0.55:
        who = random.choice(PEOPLE)
        if random.random() < 0.5:
            ph, _ = target_phrase(home, ["light", "switch", "fan", "media_player"])
        else:
            ph = the(home.dev(["light", "switch", "fan", "media_player", "cover", "lock"])[0])
        v = random.choice(["%s switched on %s again", "%s turned off %s again", "%s always turns %s on",
                           "%s keeps switching %s off", "%s turned %s on and went out", "%s never turns off %s",
                           "%s switched %s off by accident", "%s opened %s and forgot", "%s put %s on for no reason",
                           "%s likes %s on", "%s hates it when %s is off", "%s has been playing with %s",
                           "%s turned on %s to annoy me", "%s switched every one of %s on"])
        return v % (who, ph), {"intent": "unknown"}
    if r < 0.8:
        return random.choice(["schedule a call with the bank on monday", "put lunch with anna in my calendar",
                              "arrange a meeting for next week", "book the dentist for thursday",
                              "add a reminder for the school play", "plan a trip to the coast", "move my meeting to three",
                              "invite jake to dinner on saturday", "organise a party for friday", "cancel my gym class",
                              "set up a video call with the team", "what's on my calendar", "make an appointment with the vet",
                              "write an email to my landlord", "sign me up for yoga"]), {"intent": "unknown"}
    return random.choice(["let me see", "hang on, i'm thinking", "erm, what was i going to say", "give me a second",
                          "uh, i don't know", "what was it again", "let me think about it", "good question",
                          "i forgot what i wanted", "one moment", "hmm, not sure", "umm", "where was i",
                          "thinking", "let's see now"]), {"intent": "unknown"}


def polarity_verbs(home):
    """darken -> off, brighten/lighten -> on (docs/intents.md has no relative brightness); with a number, a set."""
    on = random.random() < 0.5
    r = random.random()
    if r < 0.35:
        a = random.choice(home.areas)
        ph, slots = "the " + a if random.random() < 0.8 else a, {"area": a, "domain": "light"}
    elif r < 0.45:
        f = random.choice(home.floors)
        ph, slots = f if random.random() < 0.5 else "everything " + f, {"floor": f, "domain": "light"}
    else:
        ph, slots = target_phrase(home, ["light"])
    if random.random() < 0.2:
        b = compound_num(1, 100) if random.random() < 0.4 else random.choice([10, 20, 30, 40, 60, 70, 80, 90])
        v = random.choice(["brighten %s to %s", "lighten %s to %s", "make %s brighter, %s", "turn %s brighter, up to %s"]
                          if on else ["darken %s to %s", "make %s darker, %s", "take %s darker, down to %s"])
        return polite(v % (ph, say_num(b, pct=random.random() < 0.6))), {"intent": "HassLightSet", **slots, "brightness": b}
    if on:
        v = random.choice(["brighten %s", "brighten up %s", "lighten %s", "lighten up %s", "make %s brighter",
                           "make %s lighter", "make %s bright", "%s brighter please", "get %s brighter",
                           "can %s be brighter", "brighten %s a bit"])
    else:
        v = random.choice(["darken %s", "make %s darker", "make %s dark", "%s darker please", "get %s darker",
                           "can %s be darker", "darken %s a bit", "let %s go dark", "darken %s now"])
    return polite(with_reason(v % ph, on)), {"intent": "HassTurnOn" if on else "HassTurnOff", **slots}


def short_imperative(home):
    """"X off please", "X on now": a name and a state word are a command, not a question."""
    on = random.random() < 0.5
    ph, slots = target_phrase(home, ["light", "switch", "fan", "media_player", "light"])
    if random.random() < 0.15:
        d, dph = described(home, ["light", "switch", "fan"])
        if d is not None:
            ph, slots = dph, {"name": d[0]}
    if random.random() < 0.4:
        ph = ph.replace("the ", "", 1) if ph.startswith("the ") else ph
    w = "on" if on else "off"
    v = random.choice(["%s %s please", "%s %s now", "%s %s now please", "%s %s, thanks", "%s %s right away",
                       "%s %s straight away", "%s %s please hearth", "%s %s quickly", "%s %s, cheers", "%s %s again",
                       "%s %s for now", "%s %s, please and thanks", "ok %s %s", "%s %s thank you"])
    return v % (ph, w), {"intent": "HassTurnOn" if on else "HassTurnOff", **slots}


def numbers_more(home):
    """compound number words in every numeric slot: "twenty two", "fifty-five", "eleven minutes", "a hundred"."""
    r = random.random()
    if r < 0.25:
        ph, slots = target_phrase(home, ["light"])
        b = compound_num(1, 100)
        v = random.choice(["set %s to %s", "dim %s to %s", "%s to %s", "brightness of %s to %s", "put %s at %s",
                           "%s at %s brightness", "bring %s to %s", "turn %s up to %s", "%s brightness %s"])
        return polite(v % (ph, say_compound(b) + random.choice(["", " percent", " percent", "%", " per cent"]))), \
            {"intent": "HassLightSet", **slots, "brightness": b}
    if r < 0.4:
        d = home.dev(["cover"])
        p = compound_num(0, 100)
        v = random.choice(["set %s to %s", "open %s to %s", "%s to %s", "move %s to %s", "put %s at %s",
                           "lower %s to %s", "%s %s open"])
        return polite(v % (the(d[0]), say_compound(p) + random.choice(["", " percent", "%"]))), \
            {"intent": "HassSetPosition", "name": d[0], "position": p}
    if r < 0.55:
        n = compound_num(0, 100)
        ns = say_compound(n) + random.choice(["", "", " percent", "%"])
        if random.random() < 0.5:
            d = home.dev(["media_player"])
            v = random.choice(["set the volume of %s to %s", "%s volume %s", "volume on %s to %s", "turn %s to %s"])
            return polite(v % (the(d[0]), ns)), {"intent": "HassSetVolume", "name": d[0], "volume_level": n}
        return polite(random.choice(["volume %s", "set the volume to %s", "volume to %s", "turn it to %s"]) % ns), \
            {"intent": "HassSetVolume", "volume_level": n}
    if r < 0.7:
        t = random.randint(21, 29) if random.random() < 0.8 else random.randint(11, 19)
        half = random.random() < 0.15
        ts = say_compound(t) if t > 20 else num_words(t)
        if half:
            ts += random.choice([" and a half", " point five"])
        deg = random.choice(["", " degrees", " degrees", " celsius"])
        val = t + 0.5 if half else t
        if random.random() < 0.35:
            a = random.choice(home.areas)
            return polite(random.choice(["set the %s to %s%s", "heat the %s to %s%s", "keep the %s at %s%s"]) % (a, ts, deg)), \
                {"intent": "HassClimateSetTemperature", "area": a, "temperature": val}
        d = home.dev(["climate"])
        return polite(random.choice(["set %s to %s%s", "%s to %s%s", "turn %s up to %s%s", "put %s on %s%s"]) %
                      (the(d[0]), ts, deg)), {"intent": "HassClimateSetTemperature", "name": d[0], "temperature": val}
    # timers: 11..19 and compound minutes/seconds, compound hours+minutes
    k = random.random()
    if k < 0.45:
        m = random.randint(11, 19) if random.random() < 0.4 else compound_num(21, 99)
        dur, slots = "%s minutes" % num_words(m), {"minutes": m}
    elif k < 0.7:
        s = random.randint(11, 19) if random.random() < 0.3 else compound_num(21, 59)
        dur, slots = "%s seconds" % num_words(s), {"seconds": s}
    elif k < 0.85:
        m, s = random.randint(1, 19), compound_num(21, 59)
        dur, slots = "%s minute%s and %s seconds" % (num_words(m), "" if m == 1 else "s", num_words(s)), {"minutes": m, "seconds": s}
    else:
        h, m = random.randint(1, 3), random.choice([compound_num(21, 59), random.randint(11, 19)])
        dur, slots = "%s hour%s and %s minutes" % (random.choice([num_words(h), "an" if h == 1 else num_words(h)]),
                                                    "" if h == 1 else "s", num_words(m)), {"hours": h, "minutes": m}
    v = random.choice(["set a timer for %s", "timer for %s", "start a %s timer", "countdown %s", "time %s for me",
                       "%s on the timer", "remind me in %s", "set a %s timer please"])
    if "%s timer" in v:
        dur = dur.replace("minutes", "minute").replace("seconds", "second").replace("hours", "hour") \
            if " and " not in dur else dur
    return polite(v % dur), {"intent": "HassStartTimer", **slots}


SPLITS = {"upstairs": "up stairs", "nightlight": "night light", "backyard": "back yard", "hallway": "hall way",
          "bedroom": "bed room", "television": "tele vision", "thermostat": "thermostate", "curtains": "curtins",
          "temperature": "temprature", "percent": "per cent", "living": "livin", "lights": "light", "blinds": "blind",
          "kitchen": "kitchin", "bathroom": "bath room", "vacuum": "vacum", "radiator": "radiater"}


GEN = [(on_off, 14, True), (on_off, 12, False), (cover, 3, True), (cover, 3, False), (lock, 2, True), (lock, 2, False),
       (scene, 3), (light_set, 12), (climate_set, 6), (climate_get, 3), (get_state, 7), (set_position, 3), (media, 5),
       (volume, 3), (vacuum, 3), (timer, 6), (timer_other, 3), (misc, 5), (ood, 10), (indirect, 3), (indirect_more, 3), (correction, 4),
       (desc_command, 10), (state_question, 6), (settings_more, 8), (timers_more, 4), (small_talk_intents, 4),
       (areas_more, 5), (keep_but, 3), (ood_more, 5),
       (request_frames, 6), (ood_wonder, 3), (polarity_verbs, 3), (short_imperative, 3), (numbers_more, 7),
       (ood_reports, 3), (ood_forecast_math, 2)]

HOMOPHONES = {"to": ["two", "too"], "for": ["four"], "off": ["of"], "right": ["write", "rite"], "light": ["lite"],
              "lights": ["lites"], "two": ["to", "too"], "four": ["for"], "the": ["a", "da"], "lamp": ["lamb"],
              "one": ["won"], "eight": ["ate"], "blinds": ["blines"], "fan": ["van"], "timer": ["time her"],
              "tv": ["tee vee", "t v"], "pause": ["paws"], "lock": ["log"], "door": ["dor"]}


def asr_noise(txt):
    words = txt.replace(",", " ,").split()
    out = []
    for w in words:
        r = random.random()
        if w in ("the", "a", "my") and r < 0.3:
            continue
        if w in SPLITS and r < 0.06:
            out.append(SPLITS[w])
            continue
        if w in HOMOPHONES and r < 0.12:
            out.append(random.choice(HOMOPHONES[w]))
            continue
        if r < 0.015:
            out.extend([w, w])
            continue
        if r < 0.025:
            out.extend([random.choice(["um", "uh", "er"]), w])
            continue
        out.append(w)
    s = " ".join(out).replace(" ,", ",")
    if random.random() < 0.3:
        s = s.replace("'", "")
    if random.random() < 0.1:
        s = s.replace("want to ", "wanna ").replace("going to ", "gonna ").replace("percent", "%")
    if random.random() < 0.5:
        s = "".join(c for c in s if c not in ",.!?")
    return s


def surface(txt):
    r = random.random()
    if r < 0.5:
        txt = asr_noise(txt)
    r = random.random()
    if r < 0.08:
        txt = txt.capitalize() + random.choice([".", "!", "?", ""])
    elif r < 0.11:
        txt = txt.upper()
    return " ".join(txt.split())


def label_json(lab):
    it = lab["intent"]
    parts = ['{"intent":"%s"' % it]
    for k in SLOT_ORDER:
        if k in lab:
            v = lab[k]
            if isinstance(v, str):
                parts.append(',"%s":"%s"' % (k, v))
            elif isinstance(v, float) and v != int(v):
                parts.append(',"%s":%.1f' % (k, v))
            else:
                parts.append(',"%s":%d' % (k, int(v)))
    return "".join(parts) + "}"


def make(n, seed):
    random.seed(seed)
    rng = random.Random(seed + 1)
    weights = [g[1] for g in GEN]
    out = []
    home = Home(rng)
    for i in range(n):
        if i % 20 == 0:
            home = Home(rng)
        g = random.choices(GEN, weights)[0]
        txt, lab = g[0](home, *g[2:])
        if random.random() < (0.2 if lab["intent"] != "unknown" else 0.06):
            txt = with_context(txt)
        out.append({"text": surface(txt), "label": label_json(lab)})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=80000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.out, "w") as f:
        for r in make(a.n, a.seed):
            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
