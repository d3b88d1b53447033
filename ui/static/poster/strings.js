// Every text of the printable poster, in one place for translation.

export const s = {
  title: (bar) => `${bar} · Poster`,
  print: 'Print poster',
  toolbarHint: 'Prints on one A4 or Letter page.',
  tagline: 'Order your coffee from your phone',
  steps: (mode) => [
    'Find the QR code on the big screen at the bar.',
    'Scan it with your phone camera and open the link.',
    mode === 'code' ? 'Sign in with your email and the code we send you.' : 'Tell us your name.',
    'Choose your drink, then watch the big screen for your number.',
  ],
  lookUp: '↑ Scan the code on the big screen ↑',
  rotateNote: (min) => `The code on the screen changes every ${min} minutes, so it isn’t printed here. Each code is good for a limited number of drinks.`,
  closedNow: 'The bar is closed right now.',
  liveTitle: "Current code (shown on screen only, never printed)",
  liveAlt: 'QR code to order a drink',
  liveMeta: (n, t) => `${n} drinks left · changes in ${t}`,
  unknownBar: 'No such bar.',
};
