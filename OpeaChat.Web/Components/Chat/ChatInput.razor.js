// Enter sends, Shift+Enter inserts a new line. Blazor cannot cancel a key press conditionally, so this module
// listens on the <fluent-textarea> itself (key events from its inner textarea reach the host).

const readyTimeoutMs = 10000;

export async function init(id, dotNetRef) {
    // Wait until the Fluent web component is defined (upgraded): typing before that would be lost.
    await Promise.race([
        customElements.whenDefined('fluent-textarea'),
        new Promise(resolve => setTimeout(resolve, readyTimeoutMs)),
    ]);

    const element = document.getElementById(id);
    if (!element) {
        return;
    }

    dispose(id);
    const onKeyDown = event => {
        if (event.key === 'Escape') {
            dotNetRef.invokeMethodAsync('StopFromKeyboardAsync');
            return;
        }

        if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) {
            return;
        }

        event.preventDefault();
        dotNetRef.invokeMethodAsync('SubmitFromKeyboardAsync', element.value ?? '');
    };
    element.addEventListener('keydown', onKeyDown);
    element.__opeaChatKeyDown = onKeyDown;
    element.focus();
    return takeEarlyInput(element);
}

// What was typed before this box was wired (early-input.js kept it): the text goes back into the box, and an Enter
// pressed then is handed to the component, which sends it once the page is ready.
function takeEarlyInput(element) {
    const early = window.opeaChatEarlyInput;
    if (!early || early.ready) {
        return { draft: '', submitted: null };
    }

    early.ready = true;
    const current = element.value ?? '';
    if (early.draft && !current.startsWith(early.draft)) {
        element.value = early.draft + current;
    }

    return { draft: early.draft ?? '', submitted: early.submitted };
}

export function getValue(id) {
    return document.getElementById(id)?.value ?? '';
}

export function setValue(id, value) {
    const element = document.getElementById(id);
    if (element) {
        element.value = value;
    }
}

export function focus(id) {
    document.getElementById(id)?.focus();
}

export function dispose(id) {
    const element = document.getElementById(id);
    if (element?.__opeaChatKeyDown) {
        element.removeEventListener('keydown', element.__opeaChatKeyDown);
        delete element.__opeaChatKeyDown;
    }
}
