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
                         "i need you to ", "would you mind if you ", "be a star and "])
    post = random.choice(["", "", "", "", " please", " for me", " thanks", " now", " right now", " thank you",
                          " asap", " if you can", ", cheers", " please and thank you"])
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
                           "temperature in the %s", "is it warm in the %s", "how hot is the %s"])
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
        kw = KIND[dom][0][0]
        slots = {"domain": dom}
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
                       "check whether %s is %s", "tell me if %s is %s", "%s %s?", "is %s %s right now"])
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


def timer(home):
    r = random.random()
    slots = {"intent": "HassStartTimer"}
    parts = []
    if r < 0.6:
        m = random.choice([random.randint(1, 90), 5, 10, 15, 20, 30])
        slots["minutes"] = m
        parts.append("%s minute%s" % (say_num(m), "" if m == 1 else "s"))
    elif r < 0.75:
        s = random.choice([10, 15, 20, 30, 45, 90, random.randint(5, 59)])
        slots["seconds"] = s
        parts.append("%s seconds" % say_num(s))
    elif r < 0.9:
        h = random.randint(1, 4)
        slots["hours"] = h
        parts.append("%s hour%s" % (say_num(h) if random.random() < 0.8 else "an" if h == 1 else str(h), "" if h == 1 else "s"))
        if random.random() < 0.3:
            m = random.choice([15, 30, 45])
            slots["minutes"] = m
            parts.append("and %s minutes" % say_num(m))
    else:
        m = random.randint(1, 9)
        s = random.choice([15, 30, 45])
        slots["minutes"], slots["seconds"] = m, s
        parts.append("%s minutes and %s seconds" % (say_num(m), say_num(s)))
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


GEN = [(on_off, 14, True), (on_off, 12, False), (cover, 3, True), (cover, 3, False), (lock, 2, True), (lock, 2, False),
       (scene, 3), (light_set, 12), (climate_set, 6), (climate_get, 3), (get_state, 7), (set_position, 3), (media, 5),
       (volume, 3), (vacuum, 3), (timer, 6), (timer_other, 3), (misc, 5), (ood, 10), (indirect, 3), (indirect_more, 3), (correction, 4)]

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
