#!/usr/bin/python3
"""Writes bench/asr/coffee_config.json: a hearthd config whose custom intent
"orderDrink" (sentences written for issue 5 from the slot values described in
../shared/data/commands_coffee/README.md) turns the demo home's coffee maker
on. Slot values are tagged <slot=value> so the parser returns the spoken phrase.
The grammar expands every template fully (nlu kMaxExpansions = 20000 per
template), so the order shapes are split over several templates; the n-gram LM
compiled from them generalizes across the shapes, the parser does not.
"""
import json, os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tagged(slot, phrases):
    return "(" + " | ".join("%s <%s=%s>" % (p, slot, p) for p in phrases) + ")"


drinks = ["coffee", "drip coffee", "house coffee", "americano", "cappuccino", "espresso", "latte", "mocha",
          "iced coffee", "iced mocha"]
sizes = ["small", "medium", "large", "eight ounce", "twelve ounce", "sixteen ounce", "twenty ounce"]
roasts = ["light roast", "medium roast", "dark roast"]
shots = ["single shot", "double shot", "triple shot"]
amounts = ["", "a bit of ", "a little bit of ", "some ", "a lot of ", "lots of "]
milks = [a + m for a in amounts for m in ["milk", "cream", "soy milk", "almond milk", "skim milk", "whole milk"]]
sugars = [a + s for a in amounts for s in ["sugar", "brown sugar", "sweetener"]]

D, S, R, H = tagged("coffeeDrink", drinks), tagged("size", sizes), tagged("roast", roasts), tagged("numberOfShots", shots)
M, G = tagged("milkAmount", milks), tagged("sugarAmount", sugars)
art = "[a | an | one]"
sentences = [
    "%s [%s] [%s] [%s] %s" % (art, S, R, H, D),
    "%s [%s] [%s] %s [with] [a] %s" % (art, S, R, D, H),
    "%s [%s] %s (with | and) %s" % (art, S, D, M),
    "%s [%s] %s (with | and) %s" % (art, S, D, G),
    "%s %s with %s and %s" % (art, D, M, G),
    "%s [%s] [%s] %s with %s" % (art, R, H, D, M),
    "%s [%s] [%s] %s with %s" % (art, R, H, D, G),
    "%s %s %s with %s" % (art, S, D, M),
]
cfg = {
    "home": "builtin:demo",
    "nlu": {"custom_intents": [{
        "intent": "orderDrink",
        "sentences": sentences,
        "actions": [{"device": "switch.coffee_maker", "action": "turn_on"}],
        "response": "Coming right up.",
    }]},
}
out = os.path.join(ROOT, "bench/asr/coffee_config.json")
with open(out, "w") as f:
    json.dump(cfg, f, indent=1)
print("wrote", out)
