// Typing before the interactive circuit starts. The prerendered message box looks ready, but Enter does nothing yet,
// and the box is replaced when the circuit renders the page again, taking its text with it. Until ChatInput wires
// the live box (ChatInput.razor.js takes over from here), what is typed and an Enter are kept here. Loaded before
// blazor.web.js so that it listens from the first moment the page shows.
(() => {
    const early = window.opeaChatEarlyInput = { ready: false, draft: '', submitted: null, focused: false, element: null };
    const box = () => document.getElementById('chat-input');
    const inBox = event => (event.composedPath?.() ?? [event.target]).some(node => node?.id === 'chat-input');
    // The custom element is a working text box only once Fluent's script has defined it; before that, keys are kept here.
    const boxIsLive = () => !!customElements.get('fluent-textarea');

    document.addEventListener('pointerdown', event => {
        if (!early.ready) {
            early.focused = inBox(event);
        }
    }, true);

    document.addEventListener('focusin', event => {
        if (early.ready || !inBox(event)) {
            return;
        }

        early.focused = true;
        const element = box();
        // A new box (the circuit rendered the page again) starts empty: give it what was typed into the old one.
        if (element && element !== early.element && early.draft && !element.value) {
            element.value = early.draft;
        }

        early.element = element;
    }, true);

    document.addEventListener('input', event => {
        if (!early.ready && inBox(event)) {
            early.element = box();
            early.draft = early.element?.value ?? early.draft;
        }
    }, true);

    document.addEventListener('keydown', event => {
        if (early.ready || !early.focused || event.ctrlKey || event.metaKey || event.altKey || event.isComposing || event.keyCode === 229) {
            return;
        }

        const native = inBox(event) && boxIsLive();
        if (event.key === 'Enter' && !event.shiftKey) {
            event.preventDefault();
            const text = native ? (box()?.value ?? '') : early.draft;
            // One send waits at a time; a second Enter before then leaves its text in the box.
            if (text.trim() && early.submitted === null) {
                early.submitted = text;
                early.draft = '';
                if (native) {
                    box().value = '';
                }
            }

            return;
        }

        if (native) {
            return; // The box takes the key itself, and its input event records the text.
        }

        // Focus is nowhere (the old box is gone, the new one not yet wired): keep the key.
        if (event.key.length === 1) {
            early.draft += event.key;
            event.preventDefault();
        } else if (event.key === 'Enter') {
            early.draft += '\n';
            event.preventDefault();
        } else if (event.key === 'Backspace') {
            early.draft = early.draft.slice(0, -1);
            event.preventDefault();
        }
    }, true);
})();
