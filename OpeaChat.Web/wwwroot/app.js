// Page-wide helpers: copy buttons on code blocks, inline citation markers and the global keyboard shortcuts.
(() => {
    // Whether a key press goes into a text field (there '?' is just a character).
    const isTyping = event => {
        const target = event.composedPath?.()[0] ?? event.target;
        return !!target?.closest?.('input, textarea, select, [contenteditable="true"], fluent-textarea, fluent-text-input');
    };

    // A [n] marker in a reply opens the same dialog as its numbered citation under the reply: the click goes there.
    document.addEventListener('click', event => {
        const marker = event.target.closest?.('.citation-marker');
        if (marker) {
            document.getElementById(marker.dataset.citationFor)?.click();
        }
    });

    document.addEventListener('click', async event => {
        const button = event.target.closest?.('.code-copy');
        if (!button) {
            return;
        }

        const code = button.closest('.code-block')?.querySelector('pre');
        if (!code) {
            return;
        }

        try {
            await navigator.clipboard.writeText(code.innerText);
            button.textContent = 'Copied';
            setTimeout(() => { button.textContent = 'Copy'; }, 1500);
        } catch {
            button.textContent = 'Copy failed';
        }
    });

    document.addEventListener('keydown', event => {
        const ctrl = event.ctrlKey || event.metaKey;
        if (ctrl && event.shiftKey && (event.key === 'O' || event.key === 'o')) {
            event.preventDefault();
            document.getElementById('new-chat-button')?.click();
        } else if (ctrl && !event.shiftKey && (event.key === 'k' || event.key === 'K')) {
            event.preventDefault();
            document.getElementById('conversation-search')?.focus();
        } else if ((ctrl && event.key === '/') || (event.key === '?' && !ctrl && !event.altKey && !isTyping(event))) {
            event.preventDefault();
            const dialog = document.getElementById('shortcuts-dialog');
            if (dialog && !dialog.open) {
                dialog.showModal();
            }
        } else if (event.key === 'Escape' && !event.target.closest?.('#chat-input, dialog, .settings-panel')) {
            // The message box stops the reply itself; elsewhere on the page Escape stops it too.
            document.getElementById('stop-button')?.click();
        }
    });

    // The sidebar drawer of narrow screens: opened by the header's toggle, closed by the scrim, Escape,
    // or choosing a conversation / new chat.
    const setDrawer = open => {
        const page = document.getElementById('chat-page');
        if (!page) {
            return;
        }

        page.classList.toggle('drawer-open', open);
        document.getElementById('sidebar-toggle')?.setAttribute('aria-expanded', open ? 'true' : 'false');
        if (open) {
            document.getElementById('conversation-search')?.focus();
        }
    };

    document.addEventListener('click', event => {
        if (event.target.closest?.('.drawer-scrim, .conversation-link, #new-chat-button')) {
            setDrawer(false);
        }
    });

    // The header's buttons are wired here, not with onclick attributes: the page's CSP allows no inline script.
    document.addEventListener('click', event => {
        if (event.target.closest?.('#sidebar-toggle')) {
            setDrawer(!document.getElementById('chat-page')?.classList.contains('drawer-open'));
        } else if (event.target.closest?.('#shortcuts-button')) {
            const dialog = document.getElementById('shortcuts-dialog');
            if (dialog && !dialog.open) {
                dialog.showModal();
            }
        }
    });

    document.addEventListener('keydown', event => {
        if (event.key === 'Escape' && document.getElementById('chat-page')?.classList.contains('drawer-open')) {
            setDrawer(false);
        }
    });

    window.opeaChat = {
        copyText: text => navigator.clipboard.writeText(text),
        timeZone: () => ({ id: Intl.DateTimeFormat().resolvedOptions().timeZone ?? null, offsetMinutes: -new Date().getTimezoneOffset() }),
        toggleDrawer: () => setDrawer(!document.getElementById('chat-page')?.classList.contains('drawer-open')),
    };
})();
