// Every text the Order app shows, in one place for translation.

export const s = {
  title: (bar) => `${bar} · Order`,
  loading: 'Loading…',
  retry: 'Try again',
  networkError: 'No connection. Check your network and try again.',
  genericError: (msg) => `Something went wrong: ${msg}`,
  barNotFound: 'This coffee bar doesn’t exist. Check the link or scan the QR code again.',

  // Account
  signedInAs: (name) => `Signed in as ${name}`,
  history: 'My orders',
  signOut: 'Sign out',

  // Sign-in
  signInTitle: 'Sign in to order',
  nameLabel: 'Your name',
  nameHint: 'So the barista knows who the drink is for.',
  emailLabel: 'Email address',
  emailHint: 'We’ll send you a one-time code. No password needed.',
  sendCode: 'Send code',
  codeSent: (email) => `We sent a code to ${email}.`,
  devCode: (code) => `Development server: your code is ${code}`,
  codeLabel: 'One-time code',
  signIn: 'Sign in',
  continue: 'Continue',
  otherEmail: 'Use a different email',
  resend: 'Send a new code',
  tooMany: (at) => `Too many attempts. Try again ${at}.`,

  // Redeeming a code
  checkingCode: 'Checking your code…',
  noCode: 'Scan the QR code on the big screen to order.',
  noCodeHint: 'Point your phone camera at the code above the bar; it opens this page.',
  soldOutTitle: 'All drinks for this code are taken',
  soldOut: (t) => `A new code appears on the big screen in ${t}. Scan that one.`,
  soldOutSoon: 'A new code appears on the big screen any moment now. Scan that one.',
  expiredTitle: 'This code has expired',
  expired: 'The code changes every few minutes. Scan the one on the big screen again.',
  closedTitle: 'The bar is closed',
  closed: 'We’re not taking orders right now. Come back soon!',
  busyTitle: 'We’re very busy',
  busy: 'The queue is full right now. Try again in a few minutes.',
  limitTitle: 'You’ve had your drinks for today',
  limit: (at) => `Your next drink can be ordered ${at}.`,
  invalidTitle: 'This code isn’t valid',
  invalid: 'Scan the QR code on the big screen again.',

  // Menu
  chooseTitle: 'Choose your drink',
  timeLeft: (t) => `Time left to choose: ${t}`,
  timeUp: 'Time’s up. Checking your order…',
  unavailable: 'unavailable',
  orderNow: 'Order now',
  yourChoice: 'Your order',

  // Status
  orderNo: (n) => `Order #${n}`,
  statusQueued: 'In the queue',
  position: (p) => (p === 1 ? 'You’re next!' : `Position in the queue: ${p}`),
  watchScreen: 'Look out for your number on the big screen.',
  statusMaking: 'Your drink is being made',
  statusReady: 'Ready for pickup!',
  readyHint: 'Collect it at the bar.',
  statusCollected: 'Enjoy your drink!',
  collectedHint: 'You picked it up. Thanks for ordering.',
  announceCollected: (n) => `Order ${n} was collected. Enjoy!`,
  statusCancelledByYou: 'You cancelled this order',
  statusCancelledByBarista: 'The barista cancelled this order',
  statusCancelled: 'This order was cancelled',
  cancelledHint: 'Sorry about that. Scan the QR code on the big screen to order again.',
  statusTimedOutCustomer: 'Having trouble deciding?',
  timedOutCustomerHint: 'Time ran out before you chose a drink. Scan the QR code on the big screen to start again.',
  statusTimedOutBarista: 'Sorry, we missed your drink',
  timedOutBaristaHint: 'The baristas couldn’t make it in time. Please order again and let us know.',
  cancelOrder: 'Cancel order',
  confirmCancelTitle: 'Cancel your order?',
  confirmCancelText: 'You’ll need to scan a new code to order again.',
  confirmCancelYes: 'Cancel order',
  keepOrder: 'Keep my order',
  done: 'Done',
  announce: {
    queued: (n) => `Order ${n} is in the queue.`,
    making: (n) => `Order ${n} is being made.`,
    completed: (n) => `Order ${n} is ready for pickup.`,
    // An order cancelled or timed out while choosing has no number yet.
    cancelled: (n) => (n ? `Order ${n} has been cancelled.` : 'Your order has been cancelled.'),
    timed_out: (n) => (n ? `Order ${n} timed out.` : 'Your order timed out.'),
  },

  // Neutral screen and history
  thanksTitle: 'Enjoy your coffee!',
  thanks: 'For another drink, scan the QR code on the big screen.',
  historyTitle: 'My orders',
  historyEmpty: 'No orders yet.',
  back: 'Back',
  stateNames: {
    waiting: 'choosing', queued: 'in the queue', making: 'being made',
    completed: 'completed', cancelled: 'cancelled', timed_out: 'timed out',
  },
  noDrink: 'no drink chosen',
  at: (date) => `at ${date}`,
  reconnecting: 'Reconnecting…',
};

/**
 * when says when a future time is, for retry messages: "in 4:59" within the
 * hour, "at 14:05" later today, "tomorrow at 00:00" or "on Fri at 09:00".
 */
export function when(date, now = Date.now()) {
  const left = date.getTime() - now;
  if (left <= 0) return 'now';
  if (left < 60 * 60 * 1000) {
    const sec = Math.ceil(left / 1000);
    return `in ${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')}`;
  }
  const time = date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const today = new Date(now);
  const tomorrow = new Date(now + 24 * 60 * 60 * 1000);
  if (date.toDateString() === today.toDateString()) return `at ${time}`;
  if (date.toDateString() === tomorrow.toDateString()) return `tomorrow at ${time}`;
  return `on ${date.toLocaleDateString(undefined, { weekday: 'short' })} at ${time}`;
}

/** dateTime formats an order's time for the history list. */
export const dateTime = (d) => d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
