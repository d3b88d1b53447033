// A soft two-note chime synthesised with WebAudio, so there is no sound file
// to ship. Browsers only allow audio after a user gesture on the page, so
// the chime stays silent until unlock() has been called from one.

export class Chime {
  constructor() {
    this.ctx = null;
    this.enabled = false;
  }

  /** unlock creates (or resumes) the audio context; call it from a gesture. */
  unlock() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return false;
    if (!this.ctx) this.ctx = new AC();
    if (this.ctx.state === 'suspended') this.ctx.resume();
    return true;
  }

  get ready() { return this.enabled && this.ctx && this.ctx.state === 'running'; }

  /** play rings the chime if sound is on and allowed. */
  play() {
    if (!this.ready) return;
    const t = this.ctx.currentTime;
    // E5 then A5: a rising fourth reads as "something good happened".
    this.note(659.25, t, 0.5);
    this.note(880, t + 0.18, 0.7);
  }

  note(freq, at, length) {
    const osc = this.ctx.createOscillator();
    const gain = this.ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    // A quick attack and a long exponential tail keep it soft, without clicks.
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
    osc.connect(gain).connect(this.ctx.destination);
    osc.start(at);
    osc.stop(at + length + 0.05);
  }
}

/**
 * soundToggle wires a button (aria-pressed) that turns the chime on and off.
 * Turning it on is itself the gesture that unlocks audio, and plays the chime
 * once so staff hear what to listen for.
 */
export function soundToggle(button, chime, labels, initiallyOn = false) {
  // A toggle keeps one name; the pressed state is conveyed by aria-pressed,
  // and the visible on/off word is hidden from screen readers to avoid
  // announcing "Sound on, not pressed".
  const state = document.createElement('span');
  state.className = 'toggle-state';
  state.setAttribute('aria-hidden', 'true');
  button.replaceChildren(labels.name, ' ', state);
  const paint = () => {
    button.setAttribute('aria-pressed', String(chime.enabled));
    state.textContent = chime.enabled ? labels.on : labels.off;
  };
  chime.enabled = initiallyOn;
  button.addEventListener('click', () => {
    chime.enabled = !chime.enabled;
    if (chime.enabled && chime.unlock()) setTimeout(() => chime.play(), 50);
    paint();
  });
  paint();
}
