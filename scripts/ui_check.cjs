// Drive one production build of Mainsail or Fluidd in headless Chromium against a
// running moontwist, step by step, and record what the browser sees. Started by
// scripts/ui-check (which starts the daemon and the UI's static server); settings come
// from the environment: UI (mainsail|fluidd), UI_URL, OUT (folder for
// screenshots and results.json), PLAYWRIGHT_CORE (path of the playwright-core
// package), CHROMIUM (executable), GCODE (path of a small gcode file to print),
// DAEMON_URL, STEPS (comma-separated step names, empty: all), FAKES_STATE (the file
// scripts/ui_fakes.py keeps; set when devices are configured: the device steps run) and
// UPDATES (1 when an [update_manager] with a ui_check_repo git_repo entry and a
// mainsail web entry is configured: the update step runs).
'use strict'

const fs = require('fs')
const path = require('path')
const { chromium } = require(process.env.PLAYWRIGHT_CORE)

const UI = process.env.UI
const OUT = process.env.OUT
const GCODE = process.env.GCODE
const GCODE_NAME = path.basename(GCODE)
const ECHO_TEXT = 'ui-check-echo-' + Date.now()
const FAKES_STATE = process.env.FAKES_STATE
const ALWAYS = ['connect', 'klippy-ready', 'no-failing-calls']
const ONLY = (process.env.STEPS || '').split(',').filter(Boolean)

// What each UI calls its pages and keeps in its store. Both are Vue 2 + Vuex apps;
// the root instance hangs on the Vuetify application element.
const ADAPTERS = {
  mainsail: {
    routes: { console: '/console', files: '/files', history: '/history', config: '/config',
      system: '/config', webcams: '/cam' },
    connected: s => s.socket.isConnected && s.socket.initializationList.length === 0,
    initList: s => s.socket.initializationList,
    klippyState: s => s.server.klippy_state,
    printState: s => (s.printer.print_stats || {}).state,
    historyJobs: s => s.server.history.jobs,
    notifications: (s, g) => (g['gui/notifications/getNotifications'] || [])
      .filter(n => !n.dismissed).map(n => `${n.priority}: ${n.title} — ${n.description}`),
    consoleInput: '.gcode-command-field textarea',
    upload: (page, file) => page.locator('input[type=file][multiple]:not([webkitdirectory])').first()
      .setInputFiles(file, { timeout: 10000 }),
    startPrint: filename => `vm.$socket.emit('printer.print.start', {filename: ${JSON.stringify(filename)}})`,
    peripheralsVm: 'dialogDevices',
    peripheralsRefresh: page => page.getByRole('button', { name: /refresh/i }).first(),
    peripheralsOpenEditorFirst: true,
    closeEditor: "vm.$store.dispatch('editor/close')",
    powerDevices: (s, g) => g['server/power/getDevices'],
    // the app bar's last button opens TheTopCornerMenu, which lists the devices by name
    powerItem: async (page, name) => {
      const menu = page.locator('.menuable__content__active')
      if (!(await menu.count())) await page.locator('.v-app-bar .v-toolbar__content button').last().click({ timeout: 5000 })
      return menu.locator('.v-list-item').filter({ hasText: new RegExp(`^\\s*${name}\\s*$`) }).first()
    }
  },
  fluidd: {
    routes: { console: '/console', files: '/jobs', history: '/history', config: '/configure',
      system: '/system', webcams: '/settings#camera' },
    connected: s => s.socket.open && s.socket.ready,
    initList: s => [],
    klippyState: s => ((s.printer.printer || {}).webhooks || {}).state || s.server.klippy_state,
    printState: s => ((s.printer.printer || {}).print_stats || {}).state,
    historyJobs: s => s.history.jobs,
    notifications: (s, g) => (g['notifications/getNotifications'] || [])
      .map(n => `${n.type}: ${n.title} — ${n.description || ''}`),
    consoleInput: '.console-command textarea',
    // its file browser's "+" menu (opened through the menu's own state), then a real
    // click on "Upload files"
    upload: async (page, file) => {
      const opened = await vmEval(page, `(() => {
        const walk = v => {
          if (typeof v.emulateClick === 'function') return v
          for (const c of v.$children) { const f = walk(c); if (f) return f }
          return null
        }
        const add = walk(vm)
        if (!add) return false
        add.$children[0].isActive = true
        return true
      })()`)
      if (!opened) throw new Error('no file browser "+" menu on the jobs page')
      const item = page.getByText(/upload files/i).first()
      await item.waitFor({ state: 'visible', timeout: 5000 })
      const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 10000 }), item.click()])
      await chooser.setFiles(file)
    },
    startPrint: filename => `vm.$socket.emit('printer.print.start', {params: {filename: ${JSON.stringify(filename)}}})`,
    peripheralsVm: 'peripheralsDialogOpen',
    peripheralsRefresh: page => page.locator('.v-dialog--active .v-toolbar:has([role=tab]) button').first(),
    peripheralsOpenEditorFirst: false,
    closeEditor: null,
    powerDevices: (s, g) => g['power/getDevices'],
    // the app bar's last button opens the tools drawer; its "Power" group lists the devices
    powerItem: async (page, name) => {
      const drawer = page.locator('.v-navigation-drawer--open.v-navigation-drawer--right')
      if (!(await drawer.count())) {
        await page.locator('.v-app-bar .v-toolbar__content button').last().click({ timeout: 5000 })
        await drawer.first().waitFor({ state: 'visible', timeout: 5000 })
      }
      const item = drawer.locator('.v-list-group__items .v-list-item').filter({ hasText: new RegExp(`^\\s*${name}\\s*$`) }).first()
      if (!(await item.isVisible())) {
        await drawer.locator('.v-list-group__header').filter({ hasText: /^\s*Power\s*$/ }).first().click({ timeout: 5000 })
      }
      return item
    }
  }
}
const ui = ADAPTERS[UI]

// What these UIs also get from Moonraker 0.11.0 on the same steps (UI_CHECK_MOONRAKER
// runs): listed, but not counted as our failures.
const SAME_AS_MOONRAKER = [
  // Mainsail's first start reads its theme files, which do not exist yet
  p => p.kind === 'http' && p.status === 404 && /\/server\/files\/config\/\.theme\//.test(p.url),
  // Fluidd's first start reads its namespace, which does not exist yet
  p => p.kind === 'http' && p.status === 404 && /\/server\/database\/item\?namespace=fluidd$/.test(p.url),
  // metadata asked for right after an upload, before its scan ends
  p => p.kind === 'jsonrpc' && p.method === 'server.files.metadata' && /Metadata not available/.test(p.error),
  // Fluidd asks printer.info while Klippy restarts, and logs the rejection
  p => p.step === 'klipper-restart' && p.kind === 'jsonrpc' && p.method === 'printer.info' && /503/.test(p.error),
  p => p.step === 'klipper-restart' && p.kind === 'pageerror'
]
const problems = [] // every JSON-RPC error, HTTP >= 400, failed request, page error
const consoleErrors = []
const sentCalls = new Map() // request id -> {method, params}
const methodsSent = []
const notifications = []
const socketEvents = []
const steps = []
let stepName = 'load'

function record (kind, detail) {
  problems.push({ step: stepName, kind, ...detail })
}

function short (value, limit = 300) {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text && text.length > limit ? text.slice(0, limit) + '…' : text
}

function onFrameSent (payload) {
  let message
  try { message = JSON.parse(payload) } catch { return }
  for (const m of Array.isArray(message) ? message : [message]) {
    if (m && m.id !== undefined && m.method) {
      sentCalls.set(m.id, { method: m.method, params: m.params })
      methodsSent.push({ step: stepName, method: m.method, at: Date.now() })
    }
  }
}

function onFrameReceived (payload) {
  let message
  try { message = JSON.parse(payload) } catch { return }
  for (const m of Array.isArray(message) ? message : [message]) {
    if (!m) continue
    if (m.method && m.id === undefined) {
      notifications.push({ step: stepName, method: m.method, at: Date.now(), params: m.method === 'notify_update_response' ? m.params : undefined })
      continue
    }
    const call = sentCalls.get(m.id) || { method: '?', params: undefined }
    if (m.error) record('jsonrpc', { method: call.method, params: short(call.params), error: short(m.error) })
  }
}

async function vmEval (page, body) {
  // `vm` is the root Vue instance, `s` its store state, `g` its getters.
  return page.evaluate(`(() => {
    const el = document.querySelector('.v-application')
    const vm = el && el.__vue__ && el.__vue__.$root
    if (!vm || !vm.$store) return undefined
    const s = vm.$store.state, g = vm.$store.getters
    return (${body})
  })()`)
}

async function storeValue (page, fn) {
  return vmEval(page, `(${fn.toString()})(s, g)`)
}

async function waitFor (what, poll, timeoutMs) {
  const until = Date.now() + timeoutMs
  let last
  while (Date.now() < until) {
    try { last = await poll() } catch (e) { last = e.message }
    if (last === true) return true
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  throw new Error(`${what} (last seen: ${short(last, 200)})`)
}

async function visibleAlerts (page) {
  // warning/error alerts (Fluidd's cards), and Mainsail's "Missing configuration" panel
  return page.$$eval('.v-alert, .min-settings-panel', cards => cards
    .filter(a => a.offsetParent !== null && /warning|error|min-settings-panel/.test(a.className))
    .map(a => a.innerText.trim().replace(/\s+/g, ' ')))
}

async function goto (page, route) {
  const [pathPart, hash] = route.split('#')
  await vmEval(page, `vm.$router.push(${JSON.stringify({ path: pathPart, hash: hash ? '#' + hash : '' })}).catch(() => null), true`)
  await page.waitForTimeout(1500)
}

async function setVmFlag (page, flag, value = true) {
  return vmEval(page, `(() => {
    const walk = v => {
      if (Object.prototype.hasOwnProperty.call(v.$data || {}, ${JSON.stringify(flag)})) return v
      for (const c of v.$children) { const f = walk(c); if (f) return f }
      return null
    }
    const found = walk(vm)
    if (!found) return false
    found[${JSON.stringify(flag)}] = ${JSON.stringify(value)}
    return true
  })()`)
}

async function step (page, name, fn) {
  if (ONLY.length && !ONLY.includes(name) && !ALWAYS.includes(name)) return
  stepName = name
  const before = problems.length
  const started = Date.now()
  let result = 'PASS'
  let detail = ''
  try {
    detail = (await fn()) || ''
  } catch (e) {
    result = 'FAIL'
    detail = e.message.split('\n')[0]
  }
  const errors = problems.slice(before)
  const shot = path.join(OUT, `${UI}-${String(steps.length + 1).padStart(2, '0')}-${name}.png`)
  await page.screenshot({ path: shot }).catch(() => null)
  steps.push({ name, result, detail, errors: errors.length, seconds: (Date.now() - started) / 1000, screenshot: shot })
  console.log(`${result} ${UI} ${name}${detail ? ': ' + detail : ''}${errors.length ? ` [${errors.length} failing call(s)]` : ''}`)
}

function fakes () {
  return JSON.parse(fs.readFileSync(FAKES_STATE, 'utf8'))
}

async function powerStatus (page, name) {
  const devices = await storeValue(page, ui.powerDevices)
  const device = (devices || []).find(d => d.device === name)
  return device ? device.status : `no device ${name} in ${short(devices)}`
}

// Click a device in the UI's own power menu and wait until the UI shows `expected`.
async function switchInUi (page, name, expected) {
  const item = await ui.powerItem(page, name)
  await item.click({ timeout: 5000 })
  await waitFor(`${name} shown ${expected}`, async () => {
    const status = await powerStatus(page, name)
    return status === expected ? true : status
  }, 15000)
  await page.waitForTimeout(500)
  await page.screenshot({ path: path.join(OUT, `${UI}-power-${name}-${expected}.png`) })
}

function callsTo (prefix, from) {
  return [...new Set(methodsSent.slice(from).map(s => s.method).filter(m => m.startsWith(prefix)))]
}

// The devices scripts/ui-check configured: [power printer] (tasmota, the fake on
// loopback), [power light] (klipper_device on an output_pin), [wled strip] (the fake).
async function devicesSteps (page) {
  await step(page, 'power-menu', async () => {
    await goto(page, '/')
    const before = methodsSent.length
    await waitFor('printer and light listed off', async () => {
      const states = [await powerStatus(page, 'printer'), await powerStatus(page, 'light')]
      return states.every(s => s === 'off') ? true : states
    }, 15000)
    const sent = fakes().tasmota.requests.length
    await switchInUi(page, 'printer', 'on')
    const asked = fakes().tasmota.requests.slice(sent).map(r => r.query.cmnd)
    if (!asked.includes('Power1 on')) throw new Error(`the fake plug received ${short(asked)}, not "Power1 on"`)
    if (fakes().tasmota.relays['1'] !== true) throw new Error('the fake plug is not on')
    await switchInUi(page, 'printer', 'off')
    if (fakes().tasmota.relays['1'] !== false) throw new Error('the fake plug is not off again')
    await switchInUi(page, 'light', 'on')
    const pin = await storeValue(page, UI === 'mainsail'
      ? s => (s.printer['output_pin ui_check_light'] || {}).value
      : s => ((s.printer.printer || {})['output_pin ui_check_light'] || {}).value)
    if (pin !== 1) throw new Error(`output_pin ui_check_light is ${pin} in the UI, not 1`)
    await switchInUi(page, 'light', 'off')
    await page.keyboard.press('Escape')
    const failed = problems.filter(p => p.step === stepName)
    if (failed.length) throw new Error(`failed: ${failed.map(p => p.method || p.url).join(', ')}`)
    return `asked ${callsTo('machine.device_power.', before).join(', ')}; plug got ${fakes().tasmota.requests.map(r => r.query.cmnd).join(' | ')}`
  })

  await step(page, 'wled', async () => {
    // Neither UI has a WLED panel (no "wled" in either's source): the strip must not
    // disturb them, and the daemon must answer the page's own cross-origin calls.
    const call = async (method, pathPart) => page.evaluate(async ([m, url]) => {
      const response = await fetch(url, { method: m })
      return { status: response.status, body: await response.json() }
    }, [method, process.env.DAEMON_URL + pathPart])
    const strips = await call('GET', '/machine/wled/strips')
    const strip = strips.body.result && strips.body.result.strips.strip
    if (!strip) throw new Error(`/machine/wled/strips: ${short(strips)}`)
    const on = await call('POST', '/machine/wled/on?strip=strip')
    if (on.status !== 200) throw new Error(`/machine/wled/on: ${short(on)}`)
    await waitFor('the fake WLED on', async () => fakes().wled.state.on === true || fakes().wled.received, 5000)
    const off = await call('POST', '/machine/wled/off?strip=strip')
    if (off.status !== 200) throw new Error(`/machine/wled/off: ${short(off)}`)
    await waitFor('the fake WLED off', async () => fakes().wled.state.on === false || fakes().wled.received, 5000)
    return `no WLED panel in ${UI}; strips ${strip.status}, fake received ${short(fakes().wled.received, 200)}`
  })
}

// The entry's row in the UI's update panel: the deepest element holding its name and a
// control labelled "update" (Mainsail's chip, Fluidd's button) or "up to date".
function entryRow (page, name, label) {
  const lower = "translate(normalize-space(.), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ-', 'abcdefghijklmnopqrstuvwxyz ')"
  return page.locator(`xpath=//*[contains(normalize-space(.), '${name}')]` +
    `[.//*[(self::button or contains(@class, 'v-chip')) and ${lower} = '${label}']]`).last()
}

async function updateStatus (page) {
  return page.evaluate(async url => (await (await fetch(url)).json()).result.version_info,
    process.env.DAEMON_URL + '/machine/update/status')
}

// Update one entry from the UI's own panel: listed with its version (a string, or a
// RegExp for what the row shows) and "update", a
// click (and Mainsail's confirmation), then notify_update_response to completion and
// the entry shown up to date.
async function updateEntry (page, name, version) {
  const row = entryRow(page, name, 'update')
  await row.waitFor({ state: 'visible', timeout: 15000 })
  const text = (await row.innerText()).replace(/\s+/g, ' ')
  const shown = version instanceof RegExp ? version.test(text) : text.includes(version)
  if (!shown) throw new Error(`${name}'s row shows "${text}", not ${version}`)
  const from = notifications.length
  const sentFrom = methodsSent.length
  await row.locator('button, .v-chip').filter({ hasText: /^\s*update\s*$/i }).first().click({ timeout: 5000 })
  if (UI === 'mainsail') {
    const dialog = page.locator('.v-dialog--active')
    await dialog.getByText(/I understand the risks/i).click({ timeout: 5000 })
    await page.screenshot({ path: path.join(OUT, `${UI}-update-${name}-confirm.png`) })
    await dialog.getByRole('button', { name: /start update/i }).click({ timeout: 5000 })
  }
  await waitFor(`${name}'s notify_update_response complete`, async () => {
    const done = notifications.slice(from).find(n => n.method === 'notify_update_response' &&
      n.params && n.params[0] && n.params[0].complete)
    return done ? true : notifications.slice(from).filter(n => n.method === 'notify_update_response').length + ' responses'
  }, 60000)
  await page.screenshot({ path: path.join(OUT, `${UI}-update-${name}-complete.png`) })
  const info = (await updateStatus(page))[name]
  const behind = info.commits_behind ? info.commits_behind.length : 0
  if (info.version !== info.remote_version || behind) throw new Error(`${name} after the update: ${short(info)}`)
  const lines = notifications.slice(from).filter(n => n.method === 'notify_update_response').length
  return `${name} ${version} -> ${info.version} via ${callsTo('machine.update.', sentFrom).join(', ')}, ${lines} notify_update_response`
}

// Both UIs follow an update in a dialog, closed once complete by its Close (Mainsail)
// or Finish (Fluidd) button.
async function closeUpdateDialog (page) {
  const close = page.locator('.v-dialog--active').getByRole('button', { name: /^\s*(close|finish)\s*$/i })
  if (await close.count()) await close.first().click({ timeout: 5000 })
}

async function updatesSteps (page) {
  await step(page, 'update-panel', async () => {
    await goto(page, UI === 'mainsail' ? '/config' : '/settings#versions')
    // The UI's own "check for updates": the first look at the origins (a refresh)
    const refreshFrom = methodsSent.length
    await (UI === 'mainsail'
      ? page.locator('.machine-update-panel .v-toolbar button').first()
      : page.getByRole('button', { name: /check for updates/i })).click({ timeout: 10000 })
    let before
    await waitFor('both entries refreshed', async () => {
      before = await updateStatus(page)
      // the origin's new commit fetched, and the fake GitHub's release seen
      const ready = before.ui_check_repo && before.mainsail && before.ui_check_repo.commits_behind_count > 0 &&
        before.mainsail.remote_version !== '?' && before.moonraker && before.moonraker.commits_behind_count > 0
      return ready ? true : short(before)
    }, 30000)
    const repo = before.ui_check_repo
    const web = before.mainsail
    const own = before.moonraker
    if (!own.is_valid || own.configured_type !== 'git_repo') throw new Error(`moonraker entry: ${short(before)}`)
    await page.waitForTimeout(1000)
    await page.screenshot({ path: path.join(OUT, `${UI}-update-panel-before.png`) })
    const done = [`refreshed via ${callsTo('machine.update.', refreshFrom).join(', ')}`,
      await updateEntry(page, 'ui_check_repo', repo.version)]
    await closeUpdateDialog(page)
    done.push(await updateEntry(page, 'mainsail', web.version))
    await closeUpdateDialog(page)
    // untagged, the repo's version is a commit: a UI may show the count behind instead
    done.push(await updateEntry(page, 'moonraker',
      new RegExp(`${own.version}|${own.commits_behind_count} commits? available`)))
    await closeUpdateDialog(page)
    for (const name of ['ui_check_repo', 'mainsail', 'moonraker']) {
      await entryRow(page, name, 'up to date').waitFor({ state: 'visible', timeout: 15000 })
    }
    const failed = problems.filter(p => p.step === stepName)
    if (failed.length) throw new Error(`failed: ${failed.map(p => p.method || p.url).join(', ')}`)
    return done.join('; ') + '; all three shown up to date'
  })
}

async function main () {
  fs.mkdirSync(OUT, { recursive: true })
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, args: ['--no-sandbox'] })
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  const page = await context.newPage()
  page.on('websocket', ws => {
    socketEvents.push({ step: stepName, event: 'open', url: ws.url(), at: Date.now() })
    ws.on('framesent', f => onFrameSent(f.payload))
    ws.on('framereceived', f => onFrameReceived(f.payload))
    ws.on('close', () => socketEvents.push({ step: stepName, event: 'close', url: ws.url(), at: Date.now() }))
  })
  page.on('response', async response => {
    if (response.status() < 400) return
    const request = response.request()
    let body = ''
    try { body = await response.text() } catch { body = '' }
    record('http', { method: request.method(), url: response.url(), status: response.status(), body: short(body) })
  })
  page.on('requestfailed', request => {
    const failure = request.failure()
    if (failure && /ERR_ABORTED/.test(failure.errorText)) return
    record('requestfailed', { method: request.method(), url: request.url(), error: failure && failure.errorText })
  })
  page.on('request', request => {
    const url = new URL(request.url())
    if (url.pathname.startsWith('/machine/') || url.pathname.startsWith('/server/')) {
      // the HTTP calls the UIs make with axios, named as the method they stand for
      methodsSent.push({ step: stepName, method: url.pathname.slice(1).replace(/\//g, '.'), at: Date.now() })
    }
  })
  page.on('pageerror', error => record('pageerror', { error: short(error.message) }))
  page.on('console', message => {
    if (message.type() === 'error') consoleErrors.push({ step: stepName, text: short(message.text()) })
  })

  await step(page, 'connect', async () => {
    await page.goto(process.env.UI_URL, { waitUntil: 'load' })
    await waitFor('UI connected and initialised', async () => {
      const ok = await storeValue(page, ui.connected)
      return ok === true ? true : { connected: ok, init: await storeValue(page, ui.initList) }
    }, 30000)
  })

  await step(page, 'klippy-ready', async () => {
    await waitFor('Klippy ready in the UI', async () => {
      const state = await storeValue(page, ui.klippyState)
      return state === 'ready' ? true : state
    }, 20000)
  })

  await step(page, 'no-warnings', async () => {
    await page.waitForTimeout(3000)
    const notes = await storeValue(page, ui.notifications)
    const alerts = await visibleAlerts(page)
    if ((notes && notes.length) || alerts.length) {
      throw new Error(`notifications: ${short(notes, 600)}; warning cards: ${short(alerts, 600)}`)
    }
  })

  await step(page, 'console-echo', async () => {
    await goto(page, ui.routes.console)
    const input = page.locator(ui.consoleInput).first()
    await input.click({ timeout: 10000 })
    await input.fill(`M118 ${ECHO_TEXT}`)
    await input.press('Enter')
    await waitFor(`"${ECHO_TEXT}" shown in the console`, async () =>
      (await page.locator(`text=${ECHO_TEXT}`).count()) > 1 ||
      (await page.content()).split(ECHO_TEXT).length > 2, 15000)
  })

  await step(page, 'upload', async () => {
    await goto(page, ui.routes.files)
    // the files page's own upload, not the app bar's upload-and-print
    await ui.upload(page, GCODE)
    await waitFor(`${GCODE_NAME} listed`, async () => (await page.locator(`text=${GCODE_NAME}`).count()) > 0, 20000)
  })

  await step(page, 'print-complete', async () => {
    await vmEval(page, ui.startPrint(GCODE_NAME) + ', true')
    await waitFor('print_stats.state printing', async () => {
      const state = await storeValue(page, ui.printState)
      return state === 'printing' || state === 'complete' ? true : state
    }, 20000)
    await goto(page, '/')
    await waitFor('print_stats.state complete', async () => {
      const state = await storeValue(page, ui.printState)
      return state === 'complete' ? true : state
    }, 180000)
    await page.waitForTimeout(1500)
  })

  await step(page, 'history', async () => {
    await goto(page, ui.routes.history)
    await waitFor(`${GCODE_NAME} in the history list`, async () =>
      (await page.locator(`text=${GCODE_NAME}`).count()) > 0, 15000)
    const jobs = await storeValue(page, ui.historyJobs)
    const job = (jobs || []).find(j => j.filename === GCODE_NAME)
    if (!job || job.status !== 'completed') throw new Error(`the job is ${job ? job.status : 'not in the store'}`)
  })

  await step(page, 'config-editor', async () => {
    await goto(page, ui.routes.config)
    await page.getByText('moonraker.conf', { exact: true }).first().click({ timeout: 10000 })
    await waitFor('moonraker.conf open in the editor', async () =>
      (await page.locator('.cm-content, .monaco-editor').count()) > 0 &&
      /\[server\]/.test(await page.innerText('body')), 20000)
  })

  await step(page, 'system-peripherals', async () => {
    if (!ui.peripheralsOpenEditorFirst) {
      await page.keyboard.press('Escape')
      await goto(page, ui.routes.system)
    }
    const before = methodsSent.length
    try {
      if (!(await setVmFlag(page, ui.peripheralsVm))) throw new Error('no peripherals dialog on this page')
      await page.waitForTimeout(1500)
      await page.screenshot({ path: path.join(OUT, `${UI}-peripherals-dialog-open.png`) })
      // every tab of the dialog, and its refresh button: both UIs search only then
      const tabs = page.getByRole('tab', { name: /^\s*(serial|usb|video|can)/i })
      for (let i = 0; i < await tabs.count(); i++) {
        await tabs.nth(i).click({ timeout: 5000 })
        await page.waitForTimeout(500)
        const refresh = ui.peripheralsRefresh(page)
        await waitFor('an enabled refresh button', async () => refresh.isEnabled(), 10000)
        await refresh.click({ timeout: 5000 })
        await page.waitForTimeout(1000)
      }
      await page.screenshot({ path: path.join(OUT, `${UI}-peripherals-dialog.png`) })
    } finally {
      await setVmFlag(page, ui.peripheralsVm, false)
      if (ui.closeEditor) await vmEval(page, ui.closeEditor)
    }
    if (ui.peripheralsOpenEditorFirst) await goto(page, ui.routes.system)
    const asked = methodsSent.slice(before).map(s => s.method).filter(m => m.startsWith('machine.peripherals.'))
    if (!asked.length) throw new Error('the UI asked for no machine.peripherals.* method')
    const failed = problems.filter(p => p.step === stepName &&
      ((p.method || '').startsWith('machine.peripherals.') || /\/machine\/peripherals\//.test(p.url || '')))
    if (failed.length) throw new Error(`failed: ${failed.map(p => p.kind === 'http' ? `${p.url} ${p.status}` : p.method).join(', ')}`)
    return `asked ${[...new Set(asked)].join(', ')}`
  })

  await step(page, 'webcams', async () => {
    await goto(page, ui.routes.webcams)
    const calls = methodsSent.filter(s => s.method === 'server.webcams.list')
    if (!calls.length) throw new Error('server.webcams.list never called (the UI saw no webcam component)')
    const failed = problems.filter(p => p.method === 'server.webcams.list')
    if (failed.length) throw new Error(`server.webcams.list failed: ${failed[0].error}`)
  })

  await step(page, 'klipper-restart', async () => {
    await goto(page, ui.routes.console)
    const start = Date.now()
    const input = page.locator(ui.consoleInput).first()
    await input.click({ timeout: 10000 })
    await input.fill('RESTART')
    await input.press('Enter')
    await waitFor('notify_klippy_disconnected', async () =>
      notifications.some(n => n.at >= start && n.method === 'notify_klippy_disconnected'), 15000)
    await waitFor('Klippy ready again in the UI', async () => {
      const state = await storeValue(page, ui.klippyState)
      return state === 'ready' ? true : state
    }, 30000)
    await waitFor('subscribed again', async () =>
      methodsSent.some(s => s.at >= start && s.method === 'printer.objects.subscribe'), 15000)
  })

  await step(page, 'idle-15s', async () => {
    await goto(page, '/')
    const start = Date.now()
    await page.waitForTimeout(15000)
    const closed = socketEvents.filter(e => e.at >= start && e.event === 'close')
    if (closed.length) throw new Error(`websocket closed during idle: ${closed.length}`)
    const ok = await storeValue(page, ui.connected)
    if (ok !== true) throw new Error('UI no longer connected')
    const pushed = notifications.filter(n => n.at >= start).length
    if (pushed < 10) throw new Error(`only ${pushed} notifications in 15 s`)
    return `${pushed} notifications pushed`
  })

  if (FAKES_STATE) await devicesSteps(page)
  if (process.env.UPDATES === '1') await updatesSteps(page)

  await step(page, 'no-failing-calls', async () => {
    const ours = problems.filter(p => !SAME_AS_MOONRAKER.some(known => known(p)))
    if (ours.length) throw new Error(`${ours.length} failing call(s) Moonraker does not have, listed below`)
    return `${problems.length} seen, all also seen with Moonraker 0.11.0`
  })

  await browser.close()
  console.log(`\nFailing calls seen by ${UI}:`)
  for (const p of problems) {
    p.sameAsMoonraker = SAME_AS_MOONRAKER.some(known => known(p))
    const what = p.kind === 'jsonrpc' ? `${p.method} ${p.params || ''} -> ${p.error}`
      : p.kind === 'http' ? `${p.method} ${p.url} -> ${p.status} ${p.body}`
        : `${p.method || ''} ${p.url || ''} ${p.error}`
    console.log(`  [${p.step}]${p.sameAsMoonraker ? ' (also with Moonraker)' : ''} ${p.kind}: ${what}`)
  }
  if (!problems.length) console.log('  none')
  const results = { ui: UI, steps, problems, consoleErrors, socketEvents }
  fs.writeFileSync(path.join(OUT, `${UI}-results.json`), JSON.stringify(results, null, 2))
  process.exitCode = steps.every(s => s.result === 'PASS') ? 0 : 1
}

main().catch(e => { console.error(e); process.exitCode = 2 })
