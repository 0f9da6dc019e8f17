"""Permission names: every view names one of these (or ``NO_PERMISSION_REQUIRED`` for
public views); the resources of each feature grant them in their ``__acl__``."""

VIEW_SYSTEM = "system.view"  # health, metrics, components, uptime: admins and monitoring
MANAGE_SYSTEM = "system.manage"
VIEW_AUDIT_LOG = "system.audit_log.view"  # admins only: never the monitoring token
AUTHENTICATED = "authenticated"  # any signed-in user (not the monitoring token)
DENY_ALL = "thebot.nobody"  # the default permission: a view that forgot to declare is closed

# accounts: users and relationships (granted by thebot.accounts.{users,relationships}.resources)
MANAGE_USERS = "accounts.users.manage"  # list and create accounts of any role
VIEW_USER = "accounts.user.view"
EDIT_USER = "accounts.user.edit"  # protected fields are re-checked in accounts.service
DEACTIVATE_USER = "accounts.user.deactivate"
VIEW_PRIVATE = "accounts.user.view_private"  # private profile fields
EDIT_PROFILE = "accounts.profile.edit"
MANAGE_STUDENTS = "accounts.students.manage"  # a tutor's own students
VIEW_CHILDREN = "accounts.children.view"
UNLINK_CHILD = "accounts.children.unlink"
VIEW_PARENT_LINKS = "accounts.parents.view"
MANAGE_PARENT_LINKS = "accounts.parents.manage"
CREATE_PAIRING_CODE = "accounts.pairing.create"
REDEEM_PAIRING_CODE = "accounts.pairing.redeem"

# materials: subjects, enrollments, dashboards (granted by thebot.catalog.resources)
VIEW_SUBJECTS = "materials.subjects.view"  # the subject catalogue and who teaches what
MANAGE_SUBJECTS = "materials.subjects.manage"  # create, edit, delete subjects
MANAGE_SUBJECT_TEACHERS = "materials.subjects.teachers.manage"  # teacher-subject assignments
VIEW_ENROLLMENTS = "materials.enrollments.view"  # the list, filtered by enrollment visibility
CREATE_ENROLLMENT = "materials.enrollments.create"  # who exactly: thebot.catalog.enrollments
VIEW_ENROLLMENT = "materials.enrollment.view"
EDIT_ENROLLMENT = "materials.enrollment.edit"
VIEW_STUDENT_DASHBOARD = "dashboard.student.view"
VIEW_TEACHER_DASHBOARD = "dashboard.teacher.view"
VIEW_TUTOR_DASHBOARD = "dashboard.tutor.view"
VIEW_PARENT_DASHBOARD = "dashboard.parent.view"

# materials: materials (granted by thebot.materials.materials.resources)
LIST_MATERIALS = "materials.materials.list"  # rows filtered by material visibility
CREATE_MATERIAL = "materials.materials.create"  # the subject is checked by the service
VIEW_MATERIAL = "materials.material.view"
EDIT_MATERIAL = "materials.material.edit"
DELETE_MATERIAL = "materials.material.delete"
ASSIGN_MATERIAL = "materials.material.assign"
VIEW_PROGRESS = "materials.progress.view"  # rows filtered by who sees the student
RECORD_PROGRESS = "materials.progress.record"  # a student, their own progress
VIEW_COMMENTS = "materials.comments.view"
ADD_COMMENT = "materials.comments.add"
DELETE_COMMENT = "materials.comment.delete"
MODERATE_COMMENT = "materials.comment.moderate"
VIEW_SUBMISSIONS = "materials.submissions.view"  # rows filtered by submission visibility
SUBMIT_MATERIAL = "materials.submissions.create"
REVIEW_SUBMISSION = "materials.submission.review"

# materials: media (granted by thebot.media.resources)
VIEW_MEDIA = "materials.media.view"  # GET /media/{path}: whoever may see the file's owner
UPLOAD_MATERIAL_FILE = "materials.material.upload_file"  # those who may edit the material
MANAGE_AVATAR = "accounts.user.avatar"  # upload or remove an avatar: the user and admins

# assignments: assignments, submissions, grades (thebot.assignments.assignments.resources)
LIST_ASSIGNMENTS = "assignments.list"  # rows filtered by assignment visibility
CREATE_ASSIGNMENT = "assignments.create"  # teachers, tutors, admins; the subject is checked
VIEW_ASSIGNMENT = "assignments.assignment.view"
EDIT_ASSIGNMENT = "assignments.assignment.edit"  # PATCH: author/admin
DELETE_ASSIGNMENT = "assignments.assignment.delete"  # author/admin (refused once submitted)
PUBLISH_ASSIGNMENT = "assignments.assignment.publish"  # publish and close: author/admin
CLONE_ASSIGNMENT = "assignments.assignment.clone"  # author, admin, the subject's teachers
VIEW_ASSIGNMENT_STATS = "assignments.assignment.stats"  # graders
VIEW_EXTENSIONS = "assignments.extensions.view"  # rows filtered to the caller's students
MANAGE_EXTENSIONS = "assignments.extensions.manage"  # graders
LIST_ASSIGNMENT_SUBMISSIONS = "assignments.submissions.list"  # rows filtered likewise
SUBMIT_ASSIGNMENT = "assignments.submissions.create"  # an assigned student
VIEW_ASSIGNMENT_SUBMISSION = "assignments.submission.view"
GRADE_SUBMISSION = "assignments.submission.grade"  # grade and return: graders

# assignments: reports (granted by thebot.assignments.reports.resources)
LIST_REPORTS = "assignments.reports.list"  # rows filtered by report visibility
CREATE_REPORT = "assignments.reports.create"  # teachers, tutors, admins; the student is checked
VIEW_REPORT = "assignments.report.view"
EDIT_REPORT = "assignments.report.edit"  # edit or refresh figures: author/admin, while draft
SEND_REPORT = "assignments.report.send"  # author/admin
ACKNOWLEDGE_REPORT = "assignments.report.acknowledge"  # a parent of the student
ARCHIVE_REPORT = "assignments.report.archive"  # author/admin

# scheduling: lessons (granted by thebot.scheduling.lessons.resources)
VIEW_LESSONS = "scheduling.lessons.view"  # the list: rows filtered by lesson visibility
BOOK_LESSONS = "scheduling.lessons.book"  # book, check conflicts: teachers, tutors, admins
VIEW_LESSON = "scheduling.lesson.view"
EDIT_LESSON = "scheduling.lesson.edit"  # PATCH and reschedule: teacher, student's tutor, admin
CONFIRM_LESSON = "scheduling.lesson.confirm"  # also the student and the student's parents
CANCEL_LESSON = "scheduling.lesson.cancel"  # the notice rule is checked by the service
COMPLETE_LESSON = "scheduling.lesson.complete"  # the lesson's teacher and admins
VIEW_LESSON_HISTORY = "scheduling.lesson.history"

# scheduling: series and calendar (granted by thebot.scheduling.series.views, calendar_views)
VIEW_SERIES_LIST = "scheduling.series.list"  # the list: rows filtered by who sees the lessons
CREATE_SERIES = "scheduling.series.create"  # teachers, tutors, admins; rules.validate_slot decides
VIEW_SERIES = "scheduling.series.view"
EDIT_SERIES = "scheduling.series.edit"  # the teacher, the student's tutor, admins
CANCEL_SERIES = "scheduling.series.cancel"  # same people; the notice rule is per lesson
MANAGE_CALENDAR_FEED = "scheduling.calendar_feed.manage"  # any signed-in user: their own token

# chat (granted by thebot.chat.resources from thebot.chat.access)
CHAT_ROOMS = "chat.rooms.use"  # list own rooms, create rooms (the service checks the rules)
CHAT_CONTACTS = "chat.contacts.view"  # the people the caller may start a direct chat with
CHAT_VIEW_ROOM = "chat.room.view"  # members; admins for group and subject rooms
CHAT_POST = "chat.room.post"  # members not muted, not read-only; not locked (moderators may)
CHAT_READ = "chat.room.read"  # move one's read state: members
CHAT_LEAVE = "chat.room.leave"  # DELETE a room: members leave, moderators archive
CHAT_MODERATE = "chat.room.moderate"  # rename, lock, members, pin: moderators and admins
CHAT_MESSAGE = "chat.message.change"  # edit/delete: the service checks author or moderator

# payments (granted by thebot.payments.resources and its sub-packages' resources)
LIST_PAYMENTS = "payments.list"  # rows filtered by payment visibility
VIEW_PAYMENT = "payments.payment.view"  # admins, the payer, the tutor/teacher paid
REFUND_PAYMENT = "payments.payment.refund"  # admins
VIEW_LEDGER = "payments.ledger.view"  # admins
LIST_INVOICES = "payments.invoices.list"  # rows filtered by invoice visibility
CREATE_INVOICE = "payments.invoices.create"  # tutors and admins; the student is checked
VIEW_INVOICE = "payments.invoice.view"
EDIT_INVOICE = "payments.invoice.edit"  # edit, send, cancel: the issuer and admins
PAY_INVOICE = "payments.invoice.pay"  # the student's parents
VIEW_PRICES = "payments.prices.view"
MANAGE_PRICES = "payments.prices.manage"  # admins
BUY_PACKAGE = "payments.packages.buy"  # parents (their children) and admins
VIEW_CREDITS = "payments.credits.view"  # rows filtered by who sees the student
LIST_SUBSCRIPTIONS = "payments.subscriptions.list"
CREATE_SUBSCRIPTION = "payments.subscriptions.create"  # parents; the enrollment is checked
CANCEL_SUBSCRIPTION = "payments.subscription.cancel"  # the payer and admins

# knowledge graph (granted by thebot.knowledge.resources from thebot.knowledge.access)
KNOWLEDGE_AUTHOR = "knowledge.author"  # list/create elements, lessons, templates; import
KNOWLEDGE_VIEW_CONTENT = "knowledge.content.view"  # one element, lesson or template: readers
KNOWLEDGE_EDIT_CONTENT = "knowledge.content.edit"  # change/delete it, template nodes: author
KNOWLEDGE_EXPORT = "knowledge.template.export"  # export a template: its readers
KNOWLEDGE_PROPAGATE = "knowledge.template.propagate"  # template to its student graphs
KNOWLEDGE_OVERVIEW = "knowledge.template.overview"  # students x lessons: template readers
KNOWLEDGE_GRAPHS = "knowledge.graphs"  # list (filtered by access), create (checked by service)
KNOWLEDGE_VIEW_GRAPH = "knowledge.graph.view"  # student, parents, teacher, tutor, admins
KNOWLEDGE_EDIT_GRAPH = "knowledge.graph.edit"  # nodes and dependencies: teacher, tutor, admins
KNOWLEDGE_LEARN = "knowledge.graph.learn"  # start, answer, read, watch: the student only
KNOWLEDGE_GRADE = "knowledge.answer.grade"  # grade text answers: teacher, tutor, admins
KNOWLEDGE_REVIEW = "knowledge.review.view"  # the review queue (rows filtered): teaching roles
