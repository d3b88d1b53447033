// Every text of the home page, in one place for translation.

export const s = {
  title: 'presso',
  intro: 'Coffee-bar ordering. Pick a bar and open the app you need.',
  loading: 'Loading bars…',
  none: 'No bars yet. An admin can create one with POST /api/events.',
  failed: (msg) => `Couldn’t load the bars: ${msg}`,
  open: 'OPEN',
  closed: 'CLOSED',
  signIn: (mode) => (mode === 'code' ? 'Customers sign in by email code' : 'Customers sign in with a name'),
  apps: [
    ['display', 'Display', 'Big screen with the QR code and the order board'],
    ['barista', 'Barista', 'Tablet board to make and complete orders'],
    ['order', 'Order', 'Customer app (normally opened by scanning the QR code)'],
    ['poster', 'Poster', 'Printable sign for the bar'],
  ],
};
