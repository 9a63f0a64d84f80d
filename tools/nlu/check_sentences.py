#!/usr/bin/python3
"""Checks a hand-written sentence set for the intent parser (issue 7) against
the contract (docs/intents.md) and the demo home, and against the other sets
in tests/data/sentences/ for near-duplicates (word edit distance < 2).
Written for held-out round 4 (session 9) by that set's author.

Prints counts and problems in FILE only. The held-out set (test.jsonl) is
loaded only to reject near-duplicates, and only FILE's line number is printed.
Usage: tools/nlu/check_sentences.py FILE [--review]   (--review also lists
distance-2 pairs against the readable dev sets, for hand review)
"""
import json, re, sys, os
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = [a for a in sys.argv[1:] if not a.startswith('--')]
if not ARGS:
    sys.exit(__doc__)
OURS = ARGS[0]
ROOT = os.path.dirname(os.path.dirname(HERE))
SENT = os.path.join(ROOT, 'tests', 'data', 'sentences')
_others = sorted(f for f in os.listdir(SENT) if f.endswith('.jsonl')
                 and os.path.realpath(os.path.join(SENT, f)) != os.path.realpath(OURS))
# held-out sets (test.jsonl, roundN.jsonl): only their near-duplicates are counted, never shown
def _held_out(f):
    return f == 'test.jsonl' or f.startswith('round')
READABLE = [f for f in _others if not _held_out(f)]
HIDDEN = [f for f in _others if _held_out(f)]
HOME = json.load(open(os.path.join(ROOT, 'assets', 'homes', 'demo.json')))

INTENTS = {'HassTurnOn', 'HassTurnOff', 'HassLightSet', 'HassClimateSetTemperature',
           'HassClimateGetTemperature', 'HassGetState', 'HassSetPosition', 'HassMediaPause',
           'HassMediaUnpause', 'HassMediaNext', 'HassMediaPrevious', 'HassSetVolume',
           'HassVacuumStart', 'HassVacuumReturnToBase', 'HassStartTimer', 'HassCancelTimer',
           'HassTimerStatus', 'HassGetCurrentTime', 'HassGetCurrentDate', 'HassNevermind',
           'HearthListRoutines', 'HearthRoutineOff', 'HearthRoutineOn'}
DOMAINS = {'light', 'switch', 'fan', 'cover', 'climate', 'lock', 'media_player', 'sensor',
           'binary_sensor', 'vacuum', 'scene', 'script'}
DEVICE_CLASSES = {'blind', 'curtain', 'shade', 'garage', 'door', 'window', 'temperature',
                  'humidity', 'motion', 'occupancy'}
COLORS = {'red', 'orange', 'yellow', 'green', 'blue', 'purple', 'pink', 'white', 'warm white',
          'cyan', 'magenta', 'teal', 'turquoise', 'lavender', 'gold', 'amber', 'violet',
          'indigo', 'lime'}
KELVINS = {2700, 3000, 4000, 5000, 6500}
STATES = {'on', 'off', 'open', 'closed', 'locked', 'unlocked', 'playing', 'paused', 'home',
          'docked', 'cleaning'}
PCT = {'brightness', 'position', 'volume_level'}
DUR = {'hours', 'minutes', 'seconds'}

DEVICES = HOME['devices']
DEV_BY_NAME = {d['name']: d for d in DEVICES}
AREAS = {a['name']: a for a in HOME['areas']}
FLOORS = {f['name']: f for f in HOME['floors']}
AREA_BY_ID = {a['id']: a for a in HOME['areas']}
FLOOR_BY_ID = {f['id']: f for f in HOME['floors']}
ALIAS_COUNT = Counter(al.lower() for d in DEVICES for al in d.get('aliases', []))
ALL_DEVICE_WORDS = {d['name'].lower() for d in DEVICES} | set(ALIAS_COUNT)

def dom(d):
    return d['id'].split('.')[0]

def compute_targets(slots):
    if 'name' in slots:
        d = DEV_BY_NAME.get(slots['name'])
        return [d['id']] if d else None
    if 'domain' not in slots:
        return None
    out = [d for d in DEVICES if dom(d) == slots['domain']]
    if 'device_class' in slots:
        out = [d for d in out if d.get('device_class') == slots['device_class']]
    if 'area' in slots:
        out = [d for d in out if AREA_BY_ID[d['area']]['name'] == slots['area']]
    if 'floor' in slots:
        out = [d for d in out
               if FLOOR_BY_ID[AREA_BY_ID[d['area']]['floor']]['name'] == slots['floor']]
    return sorted(d['id'] for d in out)

def target_form(slots, allow_area_only=True, allow_floor=True):
    """Return None if the target keys form a valid contract form, else a message."""
    t = {k for k in slots if k in ('name', 'area', 'floor', 'domain', 'device_class')}
    if t == {'name'}:
        return None
    if 'device_class' in t and 'domain' not in t:
        return 'device_class without domain'
    base = t - {'device_class'}
    if base in ({'area', 'domain'}, {'domain'}):
        return None
    if base == {'floor', 'domain'}:
        return None if allow_floor else 'floor target not allowed here'
    if base == {'area'} and allow_area_only and 'device_class' not in t:
        return None
    return 'bad target form %s' % sorted(t)

# phrasings avoided (README "Phrasings deliberately avoided" + round-3 list + ours)
BANNED = [r'\bwarm white\b', r'\bbedroom curtains\b', r'\bdraw the curtains\b',
          r'\bturn it (up|down)\b', r'\bdim the lights\b', r'\bmute\b', r'\bunmute\b',
          r'\bplay\b', r'\broutines?\b', r'\beverything (up|down)stairs\b',
          r'\bhall lights?\b']
AREA_KIND_NAMES = ['garage light', 'hallway light', 'bedroom fan', 'bathroom fan', 'office blind',
                   'garden lights', 'entrance light', 'kitchen door', 'bedroom radiator',
                   'outside light', 'office lamp', 'office heater', 'bedroom heating',
                   'downstairs thermostat', 'dining room light', 'kitchen window',
                   'living room temperature', 'outside temperature', 'outdoor temperature',
                   'bedroom humidity', 'front door sensor', 'hallway motion', 'motion sensor',
                   'bed sensor', 'back door lock', 'front door lock']
BANNED += [r'\b%s\b' % re.escape(n) for n in AREA_KIND_NAMES]
# plurals of singular device names/aliases ending in "light"/"lamp"
for w in ALL_DEVICE_WORDS:
    if w.endswith(' light') or w.endswith(' lamp'):
        BANNED.append(r'\b%ss\b' % re.escape(w))
# "X light" where X is an area (or alias) and no device is called that
for a in HOME['areas']:
    for x in [a['name'].lower()] + [al.lower() for al in a['aliases']]:
        if '%s light' % x not in ALL_DEVICE_WORDS:
            BANNED.append(r'\b%s light\b' % re.escape(x))
BARE_BANNED = {'stop', 'good morning', 'good night', 'goodnight'}

def norm_words(s):
    return re.sub(r"[^\w\s]", '', s.lower()).split()

def wdist(a, b, cap=2):
    """word-level Levenshtein, returns min(dist, cap)"""
    if abs(len(a) - len(b)) >= cap:
        return cap
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y))
        if min(cur) >= cap:
            return cap
        prev = cur
    return min(prev[-1], cap)

def load_texts(fn):
    out = []
    for l in open(os.path.join(SENT, fn)):
        if l.strip():
            out.append(json.loads(l)['text'])
    return out

problems = []
def bad(n, msg):
    problems.append('line %d: %s' % (n, msg))

recs = []
for n, l in enumerate(open(OURS), 1):
    try:
        r = json.loads(l)
    except Exception as e:
        bad(n, 'does not parse: %s' % e)
        continue
    recs.append((n, r))

counts = Counter()
errors = Counter()
n_targets = 0
for n, r in recs:
    extra = set(r) - {'text', 'intent', 'targets', 'error'}
    if extra:
        bad(n, 'unknown keys %s' % sorted(extra))
    text = r.get('text')
    if not isinstance(text, str) or not text.strip():
        bad(n, 'missing text'); continue
    low = ' '.join(norm_words(text))
    for pat in BANNED:
        if re.search(pat, text.lower()):
            bad(n, 'avoided phrasing /%s/' % pat)
    if low in BARE_BANNED:
        bad(n, 'bare avoided phrase')
    it = r.get('intent', 'MISSING')
    if it == 'MISSING':
        bad(n, 'missing intent'); continue
    if it is None:
        counts['null'] += 1
        if 'targets' in r or 'error' in r:
            bad(n, 'null line with targets/error')
        continue
    name = it.get('name')
    slots = it.get('slots')
    counts[name] += 1
    if name not in INTENTS:
        bad(n, 'unknown intent %r' % name); continue
    if not isinstance(slots, dict):
        bad(n, 'slots not an object'); continue
    err = r.get('error')
    if err is not None and err not in ('ambiguous', 'not_found'):
        bad(n, 'bad error value %r' % err)
    if err:
        errors[err] += 1
    # ---- slot types / ranges
    for k, v in slots.items():
        if k in PCT:
            if not (isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 100):
                bad(n, '%s must be int 0..100: %r' % (k, v))
        elif k in DUR:
            if not (isinstance(v, int) and not isinstance(v, bool) and v > 0):
                bad(n, '%s must be positive int: %r' % (k, v))
        elif k == 'temperature':
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 5 <= v <= 35:
                bad(n, 'temperature out of range: %r' % v)
            elif isinstance(v, float) and (v == int(v) or round(v, 1) != v):
                bad(n, 'temperature should be int or one decimal: %r' % v)
        elif k == 'color':
            if v not in COLORS:
                bad(n, 'colour not in list: %r' % v)
            if v == 'warm white':
                bad(n, 'warm white is avoided')
        elif k == 'color_temp':
            if v not in KELVINS:
                bad(n, 'color_temp not a contract kelvin: %r' % v)
        elif k == 'state':
            if v not in STATES:
                bad(n, 'unexpected state %r' % v)
        elif k == 'domain':
            if v not in DOMAINS:
                bad(n, 'unknown domain %r' % v)
        elif k == 'device_class':
            if v not in DEVICE_CLASSES:
                bad(n, 'unknown device_class %r' % v)
        elif k in ('name', 'area', 'floor', 'timer_name', 'routine'):
            if not isinstance(v, str) or not v:
                bad(n, '%s must be a non-empty string' % k)
        else:
            bad(n, 'unknown slot %r' % k)
    if 'area' in slots and slots['area'] not in AREAS:
        bad(n, 'area not a display name: %r' % slots['area'])
    if 'floor' in slots and slots['floor'] not in FLOORS:
        bad(n, 'floor not a display name: %r' % slots['floor'])
    if 'floor' in slots and slots.get('domain') != 'light':
        bad(n, 'floor target for something other than lights (avoided)')
    if 'timer_name' in slots and slots['timer_name'] != slots['timer_name'].lower().strip():
        bad(n, 'timer_name not normalized')
    # ---- name checks
    nm = slots.get('name')
    if nm is not None:
        if err is None and nm not in DEV_BY_NAME:
            bad(n, 'name not a display name: %r' % nm)
        if err == 'not_found':
            if nm.lower() in ALL_DEVICE_WORDS or nm in DEV_BY_NAME:
                bad(n, 'not_found name exists in home: %r' % nm)
            if nm != nm.lower() or re.match(r'(the|a|an|my) ', nm):
                bad(n, 'not_found name not normalized: %r' % nm)
            if nm.lower() not in text.lower():
                bad(n, 'not_found name not as spoken')
        if err == 'ambiguous':
            if ALIAS_COUNT.get(nm, 0) < 2:
                bad(n, 'ambiguous name is not a shared alias: %r' % nm)
            if nm not in text.lower():
                bad(n, 'ambiguous name not as spoken')
    if err == 'ambiguous' and nm is None:
        if not (name == 'HassClimateSetTemperature' and set(slots) == {'temperature'}):
            bad(n, 'ambiguous without shared alias must be a bare set-temperature')
    if err == 'not_found' and nm is None:
        bad(n, 'not_found line without a name')
    dev = DEV_BY_NAME.get(nm) if nm else None
    # ---- per-intent slot sets
    keys = set(slots)
    tkeys = keys & {'name', 'area', 'floor', 'domain', 'device_class'}
    if name in ('HassTurnOn', 'HassTurnOff'):
        if keys - tkeys:
            bad(n, 'extra slots %s' % sorted(keys - tkeys))
        m = target_form(slots)
        if m: bad(n, m)
        if dev and dom(dev) in ('sensor', 'binary_sensor'):
            bad(n, 'turn on/off a sensor')
    elif name == 'HassLightSet':
        attrs = keys & {'brightness', 'color', 'color_temp'}
        if len(attrs) != 1:
            bad(n, 'LightSet needs exactly one of brightness/color/color_temp')
        if keys - tkeys - attrs:
            bad(n, 'extra slots %s' % sorted(keys - tkeys - attrs))
        m = target_form(slots, allow_area_only=False)
        if m: bad(n, m)
        if 'domain' in slots and slots['domain'] != 'light':
            bad(n, 'LightSet domain must be light')
        sup = {'brightness': 'brightness', 'color': 'color', 'color_temp': 'color_temp'}
        for a in attrs:
            if dev is not None and (dom(dev) != 'light' or sup[a] not in dev.get('supports', [])):
                bad(n, '%s does not support %s' % (nm, a))
            if dev is None and err is None:
                tg = [DEV_BY_NAME_ID for DEV_BY_NAME_ID in (compute_targets(slots) or [])]
                ok = any(sup[a] in d.get('supports', []) for d in DEVICES if d['id'] in tg)
                if not ok:
                    bad(n, 'no target supports %s' % a)
    elif name == 'HassClimateSetTemperature':
        if 'temperature' not in keys or keys - {'temperature', 'name', 'area'} \
                or {'name', 'area'} <= keys:
            bad(n, 'bad ClimateSetTemperature slots %s' % sorted(keys))
        if dev is not None and dom(dev) != 'climate':
            bad(n, 'set temperature on a non-climate device')
        if 'area' in slots and slots['area'] in AREAS:
            aid = AREAS[slots['area']]['id']
            if not any(dom(d) == 'climate' and d['area'] == aid for d in DEVICES):
                bad(n, 'area has no climate device')
    elif name == 'HassClimateGetTemperature':
        if keys - {'name', 'area'} or {'name', 'area'} <= keys:
            bad(n, 'bad ClimateGetTemperature slots %s' % sorted(keys))
        if dev is not None and dom(dev) != 'climate':
            bad(n, 'get temperature of a non-climate device (avoided)')
    elif name == 'HassGetState':
        if keys - tkeys - {'state'}:
            bad(n, 'extra slots %s' % sorted(keys - tkeys - {'state'}))
        m = target_form(slots, allow_area_only=False, allow_floor=False)
        if m: bad(n, m)
    elif name == 'HassSetPosition':
        if 'position' not in keys or keys - tkeys - {'position'}:
            bad(n, 'bad SetPosition slots %s' % sorted(keys))
        m = target_form(slots, allow_area_only=False)
        if m: bad(n, m)
        if dev is not None and 'position' not in dev.get('supports', []):
            bad(n, '%s has no position' % nm)
        if 'domain' in slots and slots['domain'] != 'cover':
            bad(n, 'SetPosition domain must be cover')
    elif name in ('HassMediaPause', 'HassMediaUnpause', 'HassMediaNext', 'HassMediaPrevious'):
        if keys - {'name', 'area'} or {'name', 'area'} <= keys:
            bad(n, 'bad media slots %s' % sorted(keys))
        if dev is not None and dom(dev) != 'media_player':
            bad(n, 'media intent on non-media device')
    elif name == 'HassSetVolume':
        if 'volume_level' not in keys or keys - {'volume_level', 'name', 'area'} \
                or {'name', 'area'} <= keys:
            bad(n, 'bad SetVolume slots %s' % sorted(keys))
        if dev is not None and dom(dev) != 'media_player':
            bad(n, 'volume on non-media device')
    elif name in ('HassVacuumStart', 'HassVacuumReturnToBase'):
        if keys - {'name'}:
            bad(n, 'bad vacuum slots %s' % sorted(keys))
        if dev is not None and dom(dev) != 'vacuum':
            bad(n, 'vacuum intent on non-vacuum')
    elif name == 'HassStartTimer':
        if not keys & DUR or keys - DUR - {'timer_name'}:
            bad(n, 'bad StartTimer slots %s' % sorted(keys))
    elif name in ('HassCancelTimer', 'HassTimerStatus'):
        if keys - {'timer_name'}:
            bad(n, 'bad timer slots %s' % sorted(keys))
    elif name in ('HassGetCurrentTime', 'HassGetCurrentDate', 'HassNevermind',
                  'HearthListRoutines'):
        if keys:
            bad(n, '%s takes no slots' % name)
    elif name in ('HearthRoutineOff', 'HearthRoutineOn'):
        if keys != {'routine'}:
            bad(n, 'routine intents take only routine')
    # ---- targets
    exp = None if err else compute_targets(slots)
    if err and 'targets' in r:
        bad(n, 'error line must not have targets')
    if 'targets' in r:
        t = r['targets']
        n_targets += 1
        if not isinstance(t, list) or not t:
            bad(n, 'targets must be a non-empty list')
        elif t != sorted(t):
            bad(n, 'targets not sorted')
        elif exp is None:
            bad(n, 'targets given but not determined by the home')
        elif t != exp:
            bad(n, 'targets %s != expected %s' % (t, exp))
    elif exp is not None:
        bad(n, 'missing targets (expected %s)' % exp)
    if exp == []:
        bad(n, 'target resolves to nothing in the home')

# ---- repetition / near duplicates
mine = [(n, norm_words(r['text'])) for n, r in recs if isinstance(r.get('text'), str)]
seen = {}
for n, w in mine:
    key = ' '.join(w)
    if key in seen:
        bad(n, 'text repeats line %d' % seen[key])
    seen.setdefault(key, n)
for i in range(len(mine)):
    for j in range(i + 1, len(mine)):
        if mine[i][1] != mine[j][1] and wdist(mine[i][1], mine[j][1]) < 2:
            bad(mine[j][0], 'within edit distance 1 of our line %d' % mine[i][0])
review = '--review' in sys.argv
for fn in READABLE:
    for t in load_texts(fn):
        w = norm_words(t)
        for n, m in mine:
            d = wdist(m, w, cap=3)
            if d < 2:
                bad(n, 'within edit distance %d of %s text %r' % (d, fn, t))
            elif review and d == 2:
                print('REVIEW line %d ~ %s: %r' % (n, fn, t))
for fn in HIDDEN:
    hidden = [norm_words(t) for t in load_texts(fn)]
    for n, m in mine:
        if any(wdist(m, w) < 2 for w in hidden):
            bad(n, 'within edit distance < 2 of a %s line (text not shown)' % fn)

# ---- report
total = len(recs)
print('lines: %d' % total)
order = ['HassTurnOn', 'HassTurnOff', 'HassLightSet', 'HassClimateSetTemperature',
         'HassClimateGetTemperature', 'HassGetState', 'HassSetPosition', 'HassMediaPause',
         'HassMediaUnpause', 'HassMediaNext', 'HassMediaPrevious', 'HassSetVolume',
         'HassVacuumStart', 'HassVacuumReturnToBase', 'HassStartTimer', 'HassCancelTimer',
         'HassTimerStatus', 'HassGetCurrentTime', 'HassGetCurrentDate', 'HassNevermind',
         'HearthListRoutines', 'HearthRoutineOff', 'HearthRoutineOn', 'null']
for k in order:
    if counts[k]:
        print('  %-28s %4d' % (k, counts[k]))
print('error ambiguous: %d, not_found: %d' % (errors['ambiguous'], errors['not_found']))
print('null share: %.1f %%, error share: %.1f %%' % (100.0 * counts['null'] / max(total, 1),
      100.0 * sum(errors.values()) / max(total, 1)))
print('lines with targets: %d' % n_targets)
print('problems: %d' % len(problems))
for p in problems:
    print('  ' + p)
sys.exit(1 if problems else 0)
