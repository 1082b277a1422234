// Follows the newest message: while the user is at the bottom of the conversation the view stays pinned there as a
// reply grows; once they scroll up it stays where they put it, and .NET shows "Jump to latest" until they return.
// The list is virtualized (Blazor's <Virtualize>), so reaching the bottom can take a few renders as messages near the
// end replace the estimated spacer: a ResizeObserver pins the view again whenever the content's height changes
// while following.

// Within this many pixels of the end counts as "at the bottom" (rounding, a nudge of the wheel).
const bottomSlackPx = 48;
const states = new WeakMap();

export function init(scroller, content, dotNetRef) {
    if (!scroller || !content) {
        return;
    }

    dispose(scroller);
    const state = { following: true, reported: true, lastTop: scroller.scrollTop };
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

    // A scroll that moved up (wheel, keys, scrollbar, touch) stops following; reaching the bottom resumes it. Growth
    // of the content never moves scrollTop up, so it is not mistaken for the user.
    state.onScroll = () => {
        const top = scroller.scrollTop;
        if (isAtBottom()) {
            state.setFollowing(true);
        } else if (top < state.lastTop - 1 || !state.following) {
            state.setFollowing(false);
        }

        state.lastTop = top;
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
