// Follows the newest message and moves the message window.
// - Following: while the user is at the bottom of the conversation the view stays pinned there as a reply grows; once
//   they scroll up it stays where they put it, and .NET shows "Jump to latest" until they return.
// - The window: only part of a long conversation is in the page. Near the top (or bottom) of what is rendered, with
//   more that way, .NET moves the window; the message the user was looking at is put back where it was, so the
//   view does not jump however tall the added or removed messages are.

// Within this many pixels of the end counts as "at the bottom" (rounding, a nudge of the wheel).
const bottomSlackPx = 48;
// Closer than this to an edge of the rendered messages asks for more of the conversation that way.
const edgePx = 400;
const states = new WeakMap();

export function init(scroller, content, dotNetRef) {
    if (!scroller || !content) {
        return;
    }

    dispose(scroller);
    const state = { following: true, reported: true, lastTop: scroller.scrollTop, shifting: false };
    const isAtBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight <= bottomSlackPx;

    state.pin = () => {
        scroller.scrollTop = scroller.scrollHeight;
        state.lastTop = scroller.scrollTop;
    };

    state.setFollowing = following => {
        state.following = following;
        scroller.dataset.following = following ? 'true' : 'false';
        if (following !== state.reported) {
            state.reported = following;
            dotNetRef.invokeMethodAsync('SetFollowing', following).catch(() => { });
        }
    };

    // The first message whose bottom is inside the view, and how far its top is from the view's top.
    const findAnchor = () => {
        const top = scroller.getBoundingClientRect().top;
        for (const message of content.querySelectorAll('.chat-message')) {
            const box = message.getBoundingClientRect();
            if (box.bottom > top) {
                return { position: message.getAttribute('aria-posinset'), offset: box.top - top };
            }
        }

        return null;
    };

    const restoreAnchor = anchor => {
        const message = anchor && content.querySelector(`.chat-message[aria-posinset="${anchor.position}"]`);
        if (message) {
            scroller.scrollTop += message.getBoundingClientRect().top - scroller.getBoundingClientRect().top - anchor.offset;
            state.lastTop = scroller.scrollTop;
        }
    };

    // Asks .NET to move the window (-1 earlier, +1 later) and keeps the anchor message in place once it has.
    state.shift = async direction => {
        if (state.shifting) {
            return;
        }

        state.shifting = true;
        const anchor = findAnchor();
        try {
            if (await dotNetRef.invokeMethodAsync('ShiftWindow', direction)) {
                // The render arrives before the answer; wait a frame for layout, then put the anchor back.
                await new Promise(resolve => requestAnimationFrame(resolve));
                restoreAnchor(anchor);
            }
        } catch {
            // The circuit is gone: nothing to move.
        } finally {
            state.shifting = false;
        }
    };

    const checkEdges = () => {
        if (state.following || state.shifting) {
            return;
        }

        if (content.dataset.hasEarlier === 'true' && scroller.scrollTop < edgePx) {
            state.shift(-1);
        } else if (content.dataset.hasLater === 'true' && scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < edgePx) {
            state.shift(1);
        }
    };

    // A scroll that moved up (wheel, keys, scrollbar, touch) stops following; reaching the bottom of the whole
    // conversation resumes it. Growth of the content never moves scrollTop up, so it is not mistaken for the user.
    state.onScroll = () => {
        const top = scroller.scrollTop;
        if (isAtBottom() && content.dataset.hasLater !== 'true') {
            state.setFollowing(true);
        } else if (top < state.lastTop - 1 || !state.following) {
            state.setFollowing(false);
        }

        state.lastTop = top;
        checkEdges();
    };

    // The wheel says what the user wants before the scroll happens, so a pin for new text cannot undo it.
    state.onWheel = event => {
        if (event.deltaY < 0 && scroller.scrollTop > 0) {
            state.following = false;
        }
    };

    state.observer = new ResizeObserver(() => {
        if (state.following) {
            state.pin();
        }
    });
    state.observer.observe(scroller);
    state.observer.observe(content);
    scroller.addEventListener('scroll', state.onScroll, { passive: true });
    scroller.addEventListener('wheel', state.onWheel, { passive: true });
    states.set(scroller, state);
    state.setFollowing(true);
    state.pin();
}

// Goes to the newest message and follows again (opening a conversation, sending, "Jump to latest").
export function follow(scroller) {
    const state = scroller && states.get(scroller);
    if (!state) {
        return;
    }

    state.setFollowing(true);
    state.pin();
}

export function dispose(scroller) {
    const state = scroller && states.get(scroller);
    if (!state) {
        return;
    }

    state.observer.disconnect();
    scroller.removeEventListener('scroll', state.onScroll);
    scroller.removeEventListener('wheel', state.onWheel);
    states.delete(scroller);
}
