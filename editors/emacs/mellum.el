;;; mellum.el --- Mellum code assistant (mellum-lsp) on top of eglot  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (eglot "1.9"))
;; Keywords: tools, languages, convenience
;; SPDX-License-Identifier: Apache-2.0

;;; Commentary:

;; mellum-lsp serves inline completion, code actions (rewrite, explain/fix
;; diagnostics), next-edit predictions and chat from a local Mellum model.
;; Eglot gives document sync and the standard features; this file adds what
;; eglot does not draw by itself:
;;
;; - `mellum-mode': inline completion as an overlay after point, requested
;;   when typing pauses, accepted whole (M-RET) or word by word (M-right),
;;   dismissed by any other command;
;; - `mellum-chat': a chat buffer fed by `$/progress' partial results;
;; - `mellum-explain', `mellum-fix', `mellum-rewrite', `mellum-next-edit',
;;   `mellum-status'.
;;
;; Setup:
;;   (require 'mellum)
;;   (mellum-setup)                      ; registers the server with eglot
;;   (add-hook 'python-mode-hook #'eglot-ensure)
;;   (add-hook 'eglot-managed-mode-hook #'mellum-managed-hook)

;;; Code:

(require 'cl-lib)
(require 'eglot)
(require 'jsonrpc)

(defgroup mellum nil
  "Mellum code assistant through mellum-lsp."
  :group 'tools
  :prefix "mellum-")

(defcustom mellum-server-command '("mellum-lsp" "serve")
  "Command line that starts the server."
  :type '(repeat string))

(defcustom mellum-major-modes
  '(python-mode js-mode typescript-mode go-mode rust-mode java-mode c-mode c++-mode
    ruby-mode php-mode kotlin-mode csharp-mode sh-mode)
  "Major modes whose buffers eglot connects to mellum-lsp."
  :type '(repeat symbol))

(defcustom mellum-settings nil
  "Server settings with the server's own keys, as a plist.
Sent as initializationOptions, e.g. (:completion (:debounce_ms 50))."
  :type 'sexp)

(defcustom mellum-idle-delay 0.25
  "Seconds of idle time after typing before an inline completion is requested."
  :type 'number)

(defface mellum-ghost '((t :inherit shadow))
  "Face of the inline completion shown after point.")

;;;; The server class

(defclass mellum-eglot-server (eglot-lsp-server) ()
  "Eglot connection to mellum-lsp.")

(cl-defmethod eglot-initialization-options ((_server mellum-eglot-server))
  (or mellum-settings eglot--{}))

(cl-defmethod eglot-client-capabilities :around ((_server mellum-eglot-server))
  (let ((caps (cl-call-next-method)))
    (plist-put caps :textDocument
               (plist-put (plist-get caps :textDocument)
                          :inlineCompletion '(:dynamicRegistration :json-false)))
    (plist-put caps :window
               (plist-put (plist-get caps :window) :workDoneProgress t))))

;;;###autoload
(defun mellum-setup ()
  "Make eglot start mellum-lsp for `mellum-major-modes'."
  (add-to-list 'eglot-server-programs
               `(,mellum-major-modes . (mellum-eglot-server ,@mellum-server-command))))

(defun mellum--server ()
  "The mellum-lsp connection of this buffer, or nil."
  (let ((server (eglot-current-server)))
    (and (cl-typep server 'mellum-eglot-server) server)))

(defun mellum--server-or-lose ()
  (or (mellum--server) (user-error "Mellum: this buffer is not managed by mellum-lsp (M-x eglot)")))

;;;; Streams: $/progress partial results for our tokens

(defvar mellum--streams (make-hash-table :test #'equal)
  "Partial result token -> function called with each progress value.")

(defvar mellum--token-counter 0)

(defun mellum--new-token ()
  (format "mellum-emacs-%d-%d" (emacs-pid) (cl-incf mellum--token-counter)))

(cl-defmethod eglot-handle-notification :around
  (_server (_method (eql $/progress)) &key token value &allow-other-keys)
  "Feed our chat tokens; leave every other token to eglot."
  (let ((stream (gethash token mellum--streams)))
    (if stream
        (funcall stream value)
      (cl-call-next-method))))

;;;; Inline completion

(defvar-local mellum--overlay nil "Overlay showing the suggestion.")
(defvar-local mellum--suggestion nil
  "Plist (:start :end :text :id) of the suggestion shown.
Accepting it replaces START..END with TEXT.")
(defvar-local mellum--timer nil)
(defvar-local mellum--request-tick nil)

(defun mellum--notify (method id)
  (let ((server (mellum--server)))
    (when (and server id)
      (jsonrpc-notify server method (list :id id)))))

(defun mellum--item-id (item)
  (let* ((command (plist-get item :command))
         (arg (and command (seq-first (or (plist-get command :arguments) [])))))
    (if (and arg (listp arg)) (plist-get arg :id) arg)))

(defun mellum-dismiss (&optional accepted)
  "Remove the suggestion; it counts as rejected unless ACCEPTED."
  (interactive)
  (when mellum--overlay
    (delete-overlay mellum--overlay)
    (setq mellum--overlay nil))
  (when mellum--suggestion
    (unless accepted
      (mellum--notify :mellum/didRejectCompletion (plist-get mellum--suggestion :id)))
    (setq mellum--suggestion nil)))

(defun mellum--show (start end text id)
  "Show TEXT after point, to replace START..END (which contains point)."
  (let* ((typed (buffer-substring-no-properties start (point)))
         (rest (and (string-prefix-p typed text) (substring text (length typed)))))
    (when (and rest (not (string-empty-p rest)))
      (mellum-dismiss)
      (let ((ghost (propertize rest 'face 'mellum-ghost)))
        (put-text-property 0 1 'cursor t ghost)
        (setq mellum--overlay (make-overlay (point) end nil nil t))
        (overlay-put mellum--overlay 'before-string ghost)
        (overlay-put mellum--overlay 'mellum t))
      (setq mellum--suggestion (list :start start :end end :text text :id id))
      (mellum--notify :mellum/didShowCompletion id)
      t)))

(defun mellum--handle-items (result buffer tick pos)
  (when (and (buffer-live-p buffer))
    (with-current-buffer buffer
      (when (and (= tick (buffer-chars-modified-tick)) (= pos (point)))
        (let ((items (if (vectorp result) result (plist-get result :items))))
          (cl-loop for item across (or items [])
                   for insert = (let ((text (plist-get item :insertText)))
                                  (if (stringp text) text (plist-get text :value)))
                   for range = (plist-get item :range)
                   for start = (if range (eglot--lsp-position-to-point (plist-get range :start)) (point))
                   for end = (if range (eglot--lsp-position-to-point (plist-get range :end)) (point))
                   thereis (and (stringp insert) (<= start (point) end)
                                (mellum--show start end insert (mellum--item-id item)))))))))

(defun mellum-complete ()
  "Ask for an inline completion at point now."
  (interactive)
  (let ((server (mellum--server-or-lose))
        (buffer (current-buffer))
        (tick (buffer-chars-modified-tick))
        (pos (point)))
    (eglot--signal-textDocument/didChange)
    (setq mellum--request-tick tick)
    (jsonrpc-async-request
     server :textDocument/inlineCompletion
     (append (eglot--TextDocumentPositionParams) '(:context (:triggerKind 1)))
     :success-fn (lambda (result) (mellum--handle-items result buffer tick pos))
     :error-fn (lambda (err) (message "Mellum: completion failed: %s" (plist-get err :message)))
     :timeout 60
     :deferred :textDocument/inlineCompletion)))

(defun mellum--insert (text replace-end)
  "Insert TEXT at point, replacing the text up to REPLACE-END."
  (let ((inhibit-modification-hooks nil))
    (delete-region (point) replace-end)
    (insert text)))

(defun mellum-accept ()
  "Insert the whole suggestion."
  (interactive)
  (if (not mellum--suggestion)
      (user-error "Mellum: no suggestion")
    (let* ((s mellum--suggestion)
           (typed (- (point) (plist-get s :start)))
           (rest (substring (plist-get s :text) typed))
           (end (plist-get s :end)))
      (mellum-dismiss t)
      (mellum--insert rest end)
      (mellum--notify :mellum/didAcceptCompletion (plist-get s :id)))))

(defun mellum-accept-word ()
  "Insert the next word of the suggestion; the rest stays shown."
  (interactive)
  (if (not mellum--suggestion)
      (user-error "Mellum: no suggestion")
    (let* ((s mellum--suggestion)
           (rest (substring (plist-get s :text) (- (point) (plist-get s :start))))
           (word (if (string-match "\\`\\(?:\n[ \t]*\\|[ \t]*[[:alnum:]_]+\\|[ \t]*[^[:alnum:]_ \t\n]+\\)" rest)
                     (match-string 0 rest)
                   rest)))
      (if (string= word rest)
          (mellum-accept)
        (let ((id (plist-get s :id)) (text (plist-get s :text))
              (start (plist-get s :start)) (end (plist-get s :end)))
          (mellum-dismiss t)
          (insert word)
          (mellum--show start (+ end (length word)) text id))))))

(defun mellum--post-command ()
  "Dismiss the suggestion on any other command.
After typing, request a new one when Emacs is idle."
  (unless (memq this-command '(mellum-accept-word mellum-complete))
    (when (and mellum--suggestion (not (eq this-command 'mellum-accept)))
      (mellum-dismiss))
    (when (timerp mellum--timer)
      (cancel-timer mellum--timer))
    (when (and (memq this-command '(self-insert-command newline org-self-insert-command)) (mellum--server))
      (setq mellum--timer
            (run-with-idle-timer mellum-idle-delay nil
                                 (let ((buffer (current-buffer)))
                                   (lambda ()
                                     (when (and (buffer-live-p buffer) (eq buffer (current-buffer)))
                                       (mellum-complete)))))))))

(defvar mellum-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "M-RET") #'mellum-accept)
    (define-key map (kbd "M-<right>") #'mellum-accept-word)
    (define-key map (kbd "C-c m i") #'mellum-complete)
    (define-key map (kbd "C-c m c") #'mellum-chat)
    (define-key map (kbd "C-c m e") #'mellum-explain)
    (define-key map (kbd "C-c m f") #'mellum-fix)
    (define-key map (kbd "C-c m n") #'mellum-next-edit)
    (define-key map (kbd "C-c m r") #'mellum-rewrite)
    (define-key map (kbd "C-c m s") #'mellum-status)
    map)
  "Keys of `mellum-mode'.")

;;;###autoload
(define-minor-mode mellum-mode
  "Inline completion from mellum-lsp, shown after point while typing."
  :lighter " Mellum"
  :keymap mellum-mode-map
  (if mellum-mode
      (add-hook 'post-command-hook #'mellum--post-command nil t)
    (remove-hook 'post-command-hook #'mellum--post-command t)
    (mellum-dismiss)))

;;;###autoload
(defun mellum-managed-hook ()
  "Turn `mellum-mode' on where eglot manages the buffer with mellum-lsp.
For `eglot-managed-mode-hook', which runs when eglot starts and stops
managing a buffer."
  (mellum-mode (if (and (eglot-managed-p) (mellum--server)) 1 -1)))

;;;; Chat

(defvar mellum--history nil "Finished chat messages, oldest first, as plists.")

(defun mellum--chat-buffer ()
  (let ((buffer (get-buffer-create "*mellum-chat*")))
    (with-current-buffer buffer
      (unless (derived-mode-p 'special-mode)
        (if (fboundp 'markdown-view-mode) (markdown-view-mode) (special-mode))))
    buffer))

(defun mellum--chat-append (text)
  (with-current-buffer (mellum--chat-buffer)
    (let ((inhibit-read-only t))
      (save-excursion
        (goto-char (point-max))
        (insert text)))))

(defun mellum--stream (server heading question method params-fn &optional on-done)
  "Show HEADING and QUESTION, then stream METHOD's answer into the chat buffer.
PARAMS-FN gets the partial result token and returns the request params.
ON-DONE gets the final content."
  (let ((token (mellum--new-token))
        (received ""))
    (display-buffer (mellum--chat-buffer))
    (mellum--chat-append (format "\n## %s\n\n%s\n\n## Mellum\n\n" heading question))
    (puthash token (lambda (value)
                     (let ((delta (plist-get value :delta)))
                       (when (stringp delta)
                         (setq received (concat received delta))
                         (mellum--chat-append delta))))
             mellum--streams)
    (jsonrpc-async-request
     server method (funcall params-fn token)
     :success-fn (lambda (result)
                   (remhash token mellum--streams)
                   (let ((content (or (plist-get result :content) received)))
                     (unless (string= content received)
                       (with-current-buffer (mellum--chat-buffer)
                         (let ((inhibit-read-only t))
                           (delete-region (- (point-max) (length received)) (point-max))
                           (goto-char (point-max))
                           (insert content))))
                     (mellum--chat-append "\n")
                     (when on-done (funcall on-done content))))
     :error-fn (lambda (err)
                 (remhash token mellum--streams)
                 (mellum--chat-append (format "\n[error: %s]\n" (plist-get err :message))))
     ;; An answer streams for as long as it takes; jsonrpc's default would drop it after 10 s.
     :timeout nil)
    token))

(defun mellum-chat (question)
  "Ask QUESTION about the repository; the region, if active, is sent as context."
  (interactive (list (read-string "Ask Mellum: ")))
  (let* ((server (mellum--server-or-lose))
         (doc (eglot--TextDocumentIdentifier))
         (range (and (use-region-p)
                     (list :start (eglot--pos-to-lsp-position (region-beginning))
                           :end (eglot--pos-to-lsp-position (region-end)))))
         (messages (vconcat mellum--history (list (list :role "user" :content question)))))
    (eglot--signal-textDocument/didChange)
    (mellum--stream server "You" question :mellum/chat
                    (lambda (token)
                      (append (list :messages messages :textDocument doc :partialResultToken token)
                              (and range (list :range range))))
                    (lambda (content)
                      (setq mellum--history
                            (append mellum--history
                                    (list (list :role "user" :content question)
                                          (list :role "assistant" :content content))))))))

(defun mellum-chat-reset ()
  "Start a new conversation."
  (interactive)
  (setq mellum--history nil)
  (with-current-buffer (mellum--chat-buffer)
    (let ((inhibit-read-only t)) (erase-buffer))))

;;;; Diagnostics: explain and fix, through the server's code actions

(defun mellum--diagnostics-at-point ()
  (cl-loop for diag in (flymake-diagnostics (line-beginning-position) (line-end-position))
           for lsp = (cdr (assoc 'eglot-lsp-diag (flymake-diagnostic-data diag)))
           collect (or lsp
                       (list :range (list :start (eglot--pos-to-lsp-position (flymake-diagnostic-beg diag))
                                          :end (eglot--pos-to-lsp-position (flymake-diagnostic-end diag)))
                             :message (flymake-diagnostic-text diag)
                             :severity 1))))

(defun mellum--action (kind)
  "The server's code action of KIND for the diagnostic on this line.
KIND is \"explain\" or \"fix\"."
  (let* ((server (mellum--server-or-lose))
         (diags (or (mellum--diagnostics-at-point) (user-error "Mellum: no diagnostic on this line")))
         (actions (jsonrpc-request server :textDocument/codeAction
                                   (list :textDocument (eglot--TextDocumentIdentifier)
                                         :range (plist-get (car diags) :range)
                                         :context (list :diagnostics (vconcat diags)))
                                   :deferred t)))
    (or (cl-find-if (lambda (a) (string-match-p (format "\\`%s with Mellum" (capitalize kind))
                                                (plist-get a :title)))
                    actions)
        (user-error "Mellum: the server offers no %s here" kind))))

(defun mellum--explain-command (server arguments)
  "Run mellum.explainDiagnostic with ARGUMENTS, streaming into the chat buffer."
  (let* ((args (copy-sequence (seq-first arguments)))
         (diagnostic (plist-get args :diagnostic)))
    (mellum--stream server "Explain" (plist-get diagnostic :message) :workspace/executeCommand
                    (lambda (token)
                      (list :command "mellum.explainDiagnostic"
                            :arguments (vector (plist-put args :partialResultToken token)))))))

(cl-defmethod eglot-execute-command
  ((server mellum-eglot-server) (_command (eql mellum.explainDiagnostic)) arguments)
  "Stream explanations into the chat buffer.
This applies also when the action is picked from `eglot-code-actions'."
  (mellum--explain-command server arguments))

(defun mellum-explain ()
  "Explain the diagnostic on this line; the answer streams into the chat buffer."
  (interactive)
  (let ((command (plist-get (mellum--action "explain") :command)))
    (mellum--explain-command (mellum--server-or-lose) (plist-get command :arguments))))

(defun mellum-fix ()
  "Apply Mellum's fix for the diagnostic on this line."
  (interactive)
  (let* ((server (mellum--server-or-lose))
         (action (mellum--action "fix"))
         (action (if (plist-get action :edit) action
                   (jsonrpc-request server :codeAction/resolve action :timeout 600))))
    (eglot--apply-workspace-edit (plist-get action :edit))))

(defun mellum-rewrite (beg end instruction)
  "Rewrite the lines between BEG and END as INSTRUCTION says.
An empty INSTRUCTION asks for clearer code with bugs fixed."
  (interactive (list (region-beginning) (region-end) (read-string "Rewrite how? ")))
  (let* ((server (mellum--server-or-lose))
         (actions (jsonrpc-request server :textDocument/codeAction
                                   (list :textDocument (eglot--TextDocumentIdentifier)
                                         :range (list :start (eglot--pos-to-lsp-position beg)
                                                      :end (eglot--pos-to-lsp-position end))
                                         :context (list :diagnostics [] :only ["refactor.rewrite"]))
                                   :deferred t))
         (action (or (cl-find-if (lambda (a) (string-match-p "\\`Rewrite with Mellum" (plist-get a :title)))
                                 actions)
                     (user-error "Mellum: no rewrite offered here"))))
    (unless (string-empty-p instruction)
      (plist-put (plist-get action :data) :instruction instruction))
    (eglot--apply-workspace-edit
     (plist-get (jsonrpc-request server :codeAction/resolve action :timeout 600) :edit))))

;;;; Next edit and status

(defvar-local mellum--next-edit nil "Pending (EDITS . OVERLAYS) of `mellum-next-edit'.")

(defun mellum-next-edit-reject ()
  "Drop the previewed next edit."
  (interactive)
  (mapc #'delete-overlay (cdr mellum--next-edit))
  (setq mellum--next-edit nil))

(defun mellum-next-edit-accept ()
  "Apply the previewed next edit."
  (interactive)
  (let ((edits (car mellum--next-edit)))
    (mellum-next-edit-reject)
    (when edits
      (eglot--apply-text-edits edits))))

(defun mellum-next-edit ()
  "Preview the edit Mellum predicts next; accept with `mellum-next-edit-accept'."
  (interactive)
  (mellum-next-edit-reject)
  (let* ((server (mellum--server-or-lose))
         (result (progn (eglot--signal-textDocument/didChange)
                        (jsonrpc-request server :mellum/nextEdit (eglot--TextDocumentPositionParams)
                                         :timeout 600)))
         (edits (plist-get result :edits)))
    (if (seq-empty-p edits)
        (message "Mellum: no edit to suggest here")
      (setq mellum--next-edit
            (cons edits
                  (cl-loop for edit across edits
                           for (beg . end) = (eglot--range-region (plist-get edit :range))
                           for ov = (make-overlay beg end)
                           do (overlay-put ov 'face 'diff-removed)
                              (overlay-put ov 'after-string
                                           (propertize (plist-get edit :newText) 'face 'diff-added))
                           collect ov)))
      (message "Mellum: M-x mellum-next-edit-accept or mellum-next-edit-reject"))))

(defun mellum--format-status (status)
  "One line describing STATUS, a `mellum/status' result."
  (let ((acc (plist-get status :acceptance))
        (lat (plist-get status :latency_ms))
        (idx (plist-get status :indexing))
        (queue (plist-get status :queue))
        (rate (plist-get (plist-get status :acceptance) :rate)))
    (format "Mellum: %s on %s (%s)%s | indexed %s/%s | queue %d running, %d waiting | shown %s, accepted %s, rejected %s (%s) | p50 %s ms, p95 %s ms"
            (plist-get status :model) (plist-get status :device) (plist-get status :backend)
            (cond ((eq (plist-get status :loaded) t) "")
                  ((stringp (plist-get status :problem)) (concat " - " (plist-get status :problem)))
                  (t " - loading"))
            (plist-get idx :done) (plist-get idx :total)
            (length (plist-get queue :running)) (length (plist-get queue :pending))
            (plist-get acc :shown) (plist-get acc :accepted) (plist-get acc :rejected)
            (if (numberp rate) (format "%d%%" (round (* 100 rate))) "-")
            (or (plist-get lat :p50) "-") (or (plist-get lat :p95) "-"))))

(defun mellum-status ()
  "Show the model, indexing progress, acceptance and latency."
  (interactive)
  (message "%s" (mellum--format-status (jsonrpc-request (mellum--server-or-lose) :mellum/status nil))))

(provide 'mellum)
;;; mellum.el ends here
